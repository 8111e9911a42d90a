//! A stand-in for FusionAuth on loopback that answers whatever the test says: a status and a
//! body, or silence; and that can go down.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

/// What every request gets.
#[derive(Clone, Debug)]
pub enum Answer {
    /// This status, `Content-Type` and body.
    Reply {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// Nothing for this long, then a 200 with an empty body.
    Silence(Duration),
}

impl Answer {
    /// A JSON answer.
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Reply {
            status,
            content_type: "application/json",
            body: body.into(),
        }
    }
}

/// The running stand-in.
pub struct FusionAuthStub {
    url: Url,
    answer: Arc<Mutex<Answer>>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FusionAuthStub {
    /// Listens on a free loopback port and answers `answer` until told otherwise.
    pub async fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let answer = Arc::new(Mutex::new(answer));
        let current = answer.clone();
        let router = axum::Router::new().fallback(move || {
            let answer = current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            respond(answer)
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Self {
            url,
            answer,
            shutdown: Some(shutdown),
        }
    }

    /// Its base URL.
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// What the next requests get.
    pub fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap_or_else(PoisonError::into_inner) = answer;
    }

    /// Stops listening: from now on connections are refused.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

async fn respond(answer: Answer) -> Response {
    let (status, content_type, body) = match answer {
        Answer::Reply {
            status,
            content_type,
            body,
        } => (status, content_type, body),
        Answer::Silence(duration) => {
            tokio::time::sleep(duration).await;
            (200, "application/json", Vec::new())
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).expect("a status code");
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    response
}

/// Alice as FusionAuth describes her in a login answer: active, verified, registered for the
/// Store.
pub fn alice_user() -> serde_json::Value {
    serde_json::json!({
        "id": backend::stack::demo::ALICE_ID,
        "email": "alice@example.com",
        "fullName": "Alice Shopper",
        "active": true,
        "verified": true,
        "registrations": [{
            "id": "0b0b0b0b-0000-4000-8000-000000000001",
            "applicationId": backend::stack::demo::STORE_APPLICATION_ID,
            "roles": ["user"],
        }],
    })
}

//! What handlers ask for instead of checking it themselves, as axum extractors: who is signed in
//! ([`SignedIn`], [`MaybeSignedIn`]), whether the client wants JSON ([`WantsJson`]), and
//! state-changing forms whose origin and CSRF token were checked ([`UserForm`],
//! [`CsrfFormIfSignedIn`]; the login forms' `LoginPost` also counts the attempt). A handler that
//! leaves one out does not get the user or the form.

use super::revalidate::revalidate;
use super::{SiteState, WebError};
use crate::session::{AuthSession, SessionUser};
use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{ACCEPT, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse as _, Response};
use serde::de::DeserializeOwned;

/// The signed-in user (revalidated with FusionAuth in the background when due). Without one the
/// request is answered [`WebError::LoginRequired`], to come back to the requested path.
#[derive(Clone, Debug)]
pub struct SignedIn(pub SessionUser);

impl FromRequestParts<SiteState> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &SiteState) -> Result<Self, WebError> {
        let auth = session(parts, state).await?;
        require_user(state, &auth, &parts.uri, &parts.headers)
            .await
            .map(Self)
    }
}

/// The signed-in user if there is one (see [`SignedIn`]); pages anyone may see.
#[derive(Clone, Debug)]
pub struct MaybeSignedIn(pub Option<SessionUser>);

impl FromRequestParts<SiteState> for MaybeSignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &SiteState) -> Result<Self, WebError> {
        let auth = session(parts, state).await?;
        signed_in(state, &auth).await.map(Self)
    }
}

/// True when the client prefers JSON (`Accept: application/json`).
#[derive(Clone, Copy, Debug)]
pub struct WantsJson(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for WantsJson {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(wants_json(&parts.headers)))
    }
}

/// Which CSRF token a form carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrfScheme {
    /// The session's synchronizer token: every form shown to a session.
    Session,
    /// The signature of the CSRF cookie's nonce ([`super::login_csrf`]): the login form, shown
    /// to anyone without storing a session.
    SignedCookie,
}

/// A posted form that carries a CSRF token.
pub trait CsrfField {
    /// Which token it is; the session's unless the form says otherwise.
    const SCHEME: CsrfScheme = CsrfScheme::Session;

    /// The `csrf_token` field as posted (empty when missing).
    fn csrf_token(&self) -> &str;
}

/// A form only a signed-in user may post.
pub trait UserFormPage: CsrfField {
    /// The page the form is on: where the login sends a user who was signed out meanwhile.
    const PAGE: &'static str;
}

/// Implements [`CsrfField`] for a form whose token is posted as its `csrf_token` field; given
/// `scheme = …`, of that [`CsrfScheme`]; given `page = …`, [`UserFormPage`] with that page:
/// every form spelled the same impls out by hand.
macro_rules! csrf_form {
    ($form:ty) => {
        $crate::web::guard::csrf_form!($form, scheme = $crate::web::guard::CsrfScheme::Session);
    };
    ($form:ty, scheme = $scheme:expr) => {
        impl $crate::web::guard::CsrfField for $form {
            const SCHEME: $crate::web::guard::CsrfScheme = $scheme;

            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        }
    };
    ($form:ty, page = $page:expr) => {
        $crate::web::guard::csrf_form!($form);

        impl $crate::web::guard::UserFormPage for $form {
            const PAGE: &'static str = $page;
        }
    };
}
pub(crate) use csrf_form;

/// A signed-in user's state-changing form: the user (or the login redirect back to the form's
/// [`UserFormPage::PAGE`]), then the origin and CSRF checks of [`check_form`].
#[derive(Debug)]
pub struct UserForm<T>(pub SessionUser, pub T);

impl<T> FromRequest<SiteState> for UserForm<T>
where
    T: DeserializeOwned + UserFormPage + Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &SiteState) -> Result<Self, Response> {
        let (auth, headers, form) = parse_form::<T>(request, state).await?;
        let checked = async {
            let user = require_user(state, &auth, &Uri::from_static(T::PAGE), &headers).await?;
            check_form(state, &headers, &auth, &form).await?;
            Ok::<_, WebError>(user)
        };
        let user = checked.await.map_err(|e| e.into_response())?;
        Ok(Self(user, form))
    }
}

/// A form whose CSRF token is checked only while someone is signed in: logging out without a
/// valid session protects nothing, and must still clear whatever is left.
#[derive(Debug)]
pub struct CsrfFormIfSignedIn<T>(pub T);

impl<T> FromRequest<SiteState> for CsrfFormIfSignedIn<T>
where
    T: DeserializeOwned + CsrfField + Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &SiteState) -> Result<Self, Response> {
        let (auth, headers, form) = parse_form::<T>(request, state).await?;
        let checked = async {
            if signed_in(state, &auth).await?.is_some() {
                check_form(state, &headers, &auth, &form).await?;
            }
            Ok::<_, WebError>(())
        };
        checked.await.map_err(|e| e.into_response())?;
        Ok(Self(form))
    }
}

/// The request's session, its headers and its form, in that order of need: the form is read
/// before any check, as an axum `Form` argument is.
pub(super) async fn parse_form<T: DeserializeOwned>(
    request: Request,
    state: &SiteState,
) -> Result<(AuthSession, HeaderMap, T), Response> {
    let (mut parts, body) = request.into_parts();
    let headers = parts.headers.clone();
    let auth = session(&mut parts, state)
        .await
        .map_err(|e| e.into_response())?;
    let Form(form) = Form::<T>::from_request(Request::from_parts(parts, body), state)
        .await
        .map_err(|rejection| WebError::from(rejection).into_response())?;
    Ok((auth, headers, form))
}

/// The request's typed session.
async fn session(parts: &mut Parts, state: &SiteState) -> Result<AuthSession, WebError> {
    AuthSession::from_request_parts(parts, state)
        .await
        .map_err(|(_, reason)| WebError::Internal(anyhow::anyhow!(reason)))
}

/// The logged-in user, if the session is valid; when due, a check with FusionAuth is started
/// whose verdict applies from the next request: see [`AuthSession::user`] and [`revalidate`].
async fn signed_in(state: &SiteState, auth: &AuthSession) -> Result<Option<SessionUser>, WebError> {
    let user = auth.user().await?;
    if let Some(user) = &user {
        revalidate(state, auth, user).await?;
    }
    Ok(user)
}

/// The logged-in user ([`signed_in`]), or [`WebError::LoginRequired`] to come back to `uri`.
async fn require_user(
    state: &SiteState,
    auth: &AuthSession,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<SessionUser, WebError> {
    match signed_in(state, auth).await? {
        Some(user) => Ok(user),
        None => Err(WebError::LoginRequired {
            next: uri
                .path_and_query()
                .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned()),
            json: wants_json(headers),
        }),
    }
}

/// True when the client prefers JSON (`Accept: application/json`).
pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|t| t.trim().starts_with("application/json"))
        })
}

/// A state-changing form: it must come from this site's own pages (origin) and carry the CSRF
/// token its [`CsrfScheme`] names: this session's, or the signature of the CSRF cookie's nonce.
pub(super) async fn check_form<T: CsrfField>(
    state: &SiteState,
    headers: &HeaderMap,
    auth: &AuthSession,
    form: &T,
) -> Result<(), WebError> {
    check_origin(state, headers)?;
    let token = form.csrf_token();
    let matches = match T::SCHEME {
        CsrfScheme::Session => auth.csrf_matches(token).await?,
        CsrfScheme::SignedCookie => state.login_csrf.matches(headers, token),
    };
    if token.is_empty() || !matches {
        return Err(WebError::Forbidden("missing or wrong CSRF token"));
    }
    Ok(())
}

/// Refuses requests a browser marks as coming from another origin. Store and Forums are
/// same-site (both `*.localhost`) but different origins, so `SameSite=Lax` alone would not stop
/// one from posting to the other. Clients that send neither header (curl, older browsers) pass
/// on the CSRF token alone.
fn check_origin(state: &SiteState, headers: &HeaderMap) -> Result<(), WebError> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(WebError::Forbidden("Sec-Fetch-Site is not same-origin"));
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let public = state.public_url.origin().ascii_serialization();
        let from_host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(|host| format!("{}://{host}", state.public_url.scheme()));
        if origin != public && Some(origin) != from_host.as_deref() {
            return Err(WebError::Forbidden("Origin is another site"));
        }
    }
    Ok(())
}

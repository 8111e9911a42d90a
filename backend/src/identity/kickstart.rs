//! Seeding an empty database from a FusionAuth kickstart file: `variables` (`#{name}`,
//! `#{ENV.NAME}`, `#{UUID()}`), `apiKeys`, and `requests` run against this server's own API, as
//! FusionAuth runs them, so a kickstart file that works here works on a real FusionAuth too.

use super::{KickstartSource, State, api};
use anyhow::{Context as _, bail};
use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{Method, Request};
use serde::Deserialize;
use serde_json::{Map, Value};
use tower::ServiceExt as _;
use uuid::Uuid;

/// The demo data shipped with the project (`backend/kickstart/kickstart.json`).
pub const DEMO: &str = include_str!("../../kickstart/kickstart.json");

/// A parsed kickstart file with its variables substituted.
#[derive(Debug)]
pub struct Plan {
    /// `variables.defaultTenantId`: the id the default tenant is created with.
    pub default_tenant_id: Option<Uuid>,
    api_keys: Vec<ApiKey>,
    requests: Vec<KickstartRequest>,
}

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    variables: Map<String, Value>,
    #[serde(default, rename = "apiKeys")]
    api_keys: Vec<Value>,
    #[serde(default)]
    requests: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct ApiKey {
    key: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct KickstartRequest {
    method: String,
    url: String,
    #[serde(default)]
    body: Option<Value>,
}

impl Plan {
    /// Reads and resolves the kickstart named by `source`; `None` for [`KickstartSource::None`].
    pub fn load(source: &KickstartSource) -> anyhow::Result<Option<Self>> {
        let (text, origin) = match source {
            KickstartSource::None => return Ok(None),
            KickstartSource::Demo => (DEMO.to_owned(), "the built-in demo kickstart".to_owned()),
            KickstartSource::File(path) => (
                std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the kickstart file {}", path.display())
                })?,
                path.display().to_string(),
            ),
        };
        Self::parse(&text, &|name| std::env::var(name).ok())
            .with_context(|| format!("invalid kickstart in {origin}"))
            .map(Some)
    }

    /// Parses kickstart JSON; `env` looks up `#{ENV.NAME}`.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let file: File = serde_json::from_str(text).context("not a kickstart JSON document")?;
        let mut variables = Map::new();
        for (name, value) in file.variables {
            let value = substitute(value, &variables, env)
                .with_context(|| format!("in variable {name:?}"))?;
            variables.insert(name, value);
        }
        let default_tenant_id = match variables.get("defaultTenantId") {
            Some(Value::String(id)) => {
                Some(Uuid::parse_str(id).context("variables.defaultTenantId must be a UUID")?)
            }
            Some(_) => bail!("variables.defaultTenantId must be a UUID string"),
            None => None,
        };
        let api_keys = file
            .api_keys
            .into_iter()
            .enumerate()
            .map(|(i, key)| {
                let key = substitute(key, &variables, env)?;
                serde_json::from_value::<ApiKey>(key)
                    .with_context(|| format!("apiKeys[{i}] needs a \"key\" string"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let requests = file
            .requests
            .into_iter()
            .enumerate()
            .map(|(i, request)| {
                let request = substitute(request, &variables, env)
                    .with_context(|| format!("in requests[{i}]"))?;
                serde_json::from_value::<KickstartRequest>(request)
                    .with_context(|| format!("requests[{i}] needs \"method\" and \"url\""))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            default_tenant_id,
            api_keys,
            requests,
        })
    }

    /// Stores the API keys and runs the requests in order through the API; the first failing
    /// request stops it with its status and body.
    pub async fn run(self, state: &State) -> anyhow::Result<()> {
        for key in &self.api_keys {
            if key.key.len() < 32 {
                bail!("API keys must be at least 32 characters");
            }
            state
                .add_api_key(&key.key, key.description.as_deref())
                .await?;
        }
        let key = match self.api_keys.first() {
            Some(key) => key.key.clone(),
            None => {
                // Requests still need a key; make one that nobody is told.
                let key = crate::random::random_token(32);
                state.add_api_key(&key, Some("kickstart")).await?;
                key
            }
        };
        let router = api::router(state.clone());
        for (i, request) in self.requests.into_iter().enumerate() {
            let method = Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
                .with_context(|| format!("requests[{i}]: invalid method {:?}", request.method))?;
            let body = request.body.map(|b| b.to_string()).unwrap_or_default();
            let http = Request::builder()
                .method(method.clone())
                .uri(&request.url)
                .header(AUTHORIZATION, &key)
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .with_context(|| format!("requests[{i}]: invalid url {:?}", request.url))?;
            let response = router.clone().oneshot(http).await?;
            let status = response.status();
            if !status.is_success() {
                let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
                    .await
                    .unwrap_or_default();
                bail!(
                    "requests[{i}] {method} {} answered {status}: {}",
                    request.url,
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
        tracing::info!("kickstart complete");
        Ok(())
    }
}

/// Replaces `#{…}` in every string of `value`.
fn substitute(
    value: Value,
    variables: &Map<String, Value>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Value> {
    Ok(match value {
        Value::String(s) => Value::String(expand(&s, variables, env)?),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| substitute(v, variables, env))
                .collect::<anyhow::Result<_>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| Ok((k, substitute(v, variables, env)?)))
                .collect::<anyhow::Result<_>>()?,
        ),
        other => other,
    })
}

fn expand(
    text: &str,
    variables: &Map<String, Value>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("#{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            bail!("unterminated #{{ in {text:?}");
        };
        let name = after[..end].trim();
        let replacement = if name == "UUID()" {
            Uuid::new_v4().to_string()
        } else if let Some(var) = name.strip_prefix("ENV.") {
            env(var).with_context(|| format!("environment variable {var} is not set"))?
        } else {
            match variables.get(name) {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => bail!("unknown variable #{{{name}}}"),
            }
        };
        out.push_str(&replacement);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_env_and_uuids_are_substituted_in_strings_only() {
        let text = r##"{
            "variables": {"app": "#{UUID()}", "key": "#{ENV.KS_KEY}", "greeting": "hi #{ENV.KS_KEY}"},
            "apiKeys": [{"key": "#{key}"}],
            "requests": [{"method": "POST", "url": "/api/application/#{app}", "body": {"n": 1, "s": "#{greeting}"}}]
        }"##;
        let plan = Plan::parse(text, &|name| (name == "KS_KEY").then(|| "k".repeat(40))).unwrap();
        assert_eq!(plan.api_keys[0].key, "k".repeat(40));
        let url = &plan.requests[0].url;
        assert!(
            Uuid::parse_str(url.trim_start_matches("/api/application/")).is_ok(),
            "{url}"
        );
        let body = plan.requests[0].body.as_ref().unwrap();
        assert_eq!(body["n"], 1);
        assert_eq!(body["s"], format!("hi {}", "k".repeat(40)));
    }

    #[test]
    fn unknown_variables_and_missing_environment_are_errors() {
        let err = Plan::parse(
            r##"{"requests":[{"method":"GET","url":"#{nope}"}]}"##,
            &|_| None,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("unknown variable"), "{err:#}");
        let err = Plan::parse(r##"{"variables":{"a":"#{ENV.MISSING}"}}"##, &|_| None).unwrap_err();
        assert!(format!("{err:#}").contains("MISSING"), "{err:#}");
    }

    #[test]
    fn the_demo_kickstart_parses() {
        let plan = Plan::parse(DEMO, &|_| None).unwrap();
        assert!(plan.default_tenant_id.is_some());
        assert!(!plan.api_keys.is_empty());
    }
}

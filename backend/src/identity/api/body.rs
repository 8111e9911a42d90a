//! Reading request bodies and parameters the way FusionAuth answers bad ones: a JSON object or
//! a 400 Errors object; 413 over the size limit.

use super::ApiError;
use crate::fusionauth::model::Errors;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Largest request body accepted (64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON object body. An empty body is an empty object, so endpoints whose parameters may
/// also come in the query string (logout) accept both.
#[derive(Debug, Default)]
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let essence = v.split(';').next().unwrap_or("").trim();
                essence.eq_ignore_ascii_case("application/json")
            });
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::BadRequest(Errors::general("[invalidRequest]", rejection.body_text()))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        if is_json != Some(true) {
            return Err(ApiError::BadRequest(Errors::general(
                "[invalidContentType]",
                "The request body must be JSON, sent with Content-Type: application/json.",
            )));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(invalid_json("The request body must be a JSON object.")),
            Err(error) => Err(invalid_json(&format!(
                "Unable to parse the request body as JSON: {error}"
            ))),
        }
    }
}

/// The 400 for a request without the object `key` (`[blank]`), as FusionAuth words it.
pub fn missing(key: &str) -> ApiError {
    ApiError::field(key, "blank", format!("You must specify [{key}]."))
}

/// A UUID from a path segment or a body value, else the 400 FusionAuth gives (`field` names
/// it in the error).
pub fn parse_id(value: &str, field: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(value).map_err(|_| {
        ApiError::field(
            field,
            "couldNotConvert",
            format!("Invalid [{field}]: it must be a UUID."),
        )
    })
}

fn invalid_json(message: &str) -> ApiError {
    ApiError::BadRequest(Errors::general("[invalidJSON]", message))
}

impl JsonObject {
    /// The nested object under `key` (`{"user": {...}}`), if present.
    pub fn object(&self, key: &str) -> Option<Fields<'_>> {
        self.0
            .get(key)
            .and_then(Value::as_object)
            .map(|map| Fields {
                map,
                prefix: format!("{key}."),
            })
    }

    /// The nested object under `key`, which the request must have: else a 400 naming it.
    pub fn required_object(&self, key: &str) -> Result<Fields<'_>, ApiError> {
        self.object(key).ok_or_else(|| missing(key))
    }

    /// The top-level fields.
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            map: &self.0,
            prefix: String::new(),
        }
    }
}

/// Typed, lenient access to the fields of a JSON object; errors name the field with its path.
pub struct Fields<'a> {
    /// The object.
    pub map: &'a Map<String, Value>,
    prefix: String,
}

impl Fields<'_> {
    fn path(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Records that `key` holds a value of the wrong type (`code`, `message`) and answers
    /// the field as absent (`None`, an empty list): every typed getter's last arm.
    fn wrong_type<T: Default>(
        &self,
        key: &str,
        code: &str,
        message: String,
        errors: &mut Errors,
    ) -> T {
        errors.add_field(&self.path(key), code, message);
        T::default()
    }

    /// True when `key` is present (even as null).
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// A string field; numbers and booleans are not strings. Records `[invalid]` in `errors`.
    pub fn string(&self, key: &str, errors: &mut Errors) -> Option<String> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.wrong_type(key, "invalid", format!("[{key}] must be a string."), errors)
            }
        }
    }

    /// A non-blank string field; records `[blank]` when missing or blank.
    pub fn required_string(&self, key: &str, errors: &mut Errors) -> Option<String> {
        match self.map.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            None | Some(Value::Null) | Some(Value::String(_)) => {
                let path = self.path(key);
                errors.add_field(&path, "blank", format!("You must specify [{path}]."));
                None
            }
            Some(_) => {
                self.wrong_type(key, "invalid", format!("[{key}] must be a string."), errors)
            }
        }
    }

    /// A UUID field; records `[couldNotConvert]` when it is not one.
    pub fn uuid(&self, key: &str, errors: &mut Errors) -> Option<Uuid> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if let Ok(id) = Uuid::parse_str(s) => Some(id),
            Some(_) => self.wrong_type(
                key,
                "couldNotConvert",
                format!("Invalid [{}]: it must be a UUID.", self.path(key)),
                errors,
            ),
        }
    }

    /// A boolean field (also `"true"`/`"false"`, as query parameters send them).
    pub fn bool(&self, key: &str, errors: &mut Errors) -> Option<bool> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Some(s == "true"),
            Some(_) => self.wrong_type(
                key,
                "couldNotConvert",
                format!("[{key}] must be a boolean."),
                errors,
            ),
        }
    }

    /// An integer field (epoch milliseconds, counts).
    pub fn i64(&self, key: &str, errors: &mut Errors) -> Option<i64> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(_) => self.wrong_type(
                key,
                "couldNotConvert",
                format!("[{key}] must be an integer."),
                errors,
            ),
        }
    }

    /// An array of strings, or of objects with a `name` (FusionAuth's roles).
    pub fn names(&self, key: &str, errors: &mut Errors) -> Vec<String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| match item {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
                    _ => None,
                })
                .collect(),
            Some(_) => {
                self.wrong_type(key, "invalid", format!("[{key}] must be an array."), errors)
            }
        }
    }

    /// The nested object under `key`.
    pub fn object(&self, key: &str) -> Option<Fields<'_>> {
        self.map
            .get(key)
            .and_then(Value::as_object)
            .map(|map| Fields {
                map,
                prefix: self.path(&format!("{key}.")),
            })
    }
}

/// Fails with 400 when any error was recorded.
pub fn check(errors: Errors) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::BadRequest(errors))
    }
}

//! The HTTP client: one request path for every endpoint, with the API key, timeouts, tracing, error
//! mapping and the retry rule (reads only, and only when a retry can help).

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::endpoints::{Effect, Endpoint};
use super::error::{ErrorBody, P100Error, PCode};

/// Timeouts and the retry schedule.
#[derive(Debug, Clone)]
pub struct Settings {
    pub connect_timeout: Duration,
    /// For the whole exchange, answer included.
    pub timeout: Duration,
    /// Tries of a read in all (1 = no retry).
    pub read_attempts: u32,
    /// First backoff; it doubles per retry, capped at `max_backoff`, with up to 50% jitter on top.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(20),
            read_attempts: 3,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// How one call went: for the log line and the audit row.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    pub endpoint: &'static str,
    /// The last HTTP status, if an answer came.
    pub status: Option<u16>,
    pub duration: Duration,
    /// P100's request id when it sends one (`x-request-id`), else the one we sent.
    pub request_id: String,
    pub attempts: u32,
}

#[derive(Debug)]
pub struct Reply<T> {
    pub value: T,
    pub call: CallRecord,
}

#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct Failure {
    pub error: P100Error,
    pub call: CallRecord,
}

/// A request body: JSON, or a multipart form (KYC and POA files).
pub enum Body<'a, B: Serialize> {
    None,
    Json(&'a B),
    Multipart(Box<dyn Fn() -> reqwest::multipart::Form + Send + Sync + 'a>),
}

/// No body, for reads and bodiless writes.
pub const NO_BODY: Body<'static, ()> = Body::None;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    api_key: SecretString,
    settings: Settings,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("api_key", &"[redacted]")
            .finish()
    }
}

impl Client {
    pub fn new(base: Url, api_key: SecretString, settings: Settings) -> Result<Self, reqwest::Error> {
        let http = crate::kernel::http_client()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(concat!("partner-backoffice/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Client {
            http,
            base,
            api_key,
            settings,
        })
    }

    /// Calls `endpoint` and reads its JSON answer into `T`.
    pub async fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        endpoint: &Endpoint,
        params: &[&str],
        query: &[(&str, &str)],
        body: Body<'_, B>,
    ) -> Result<Reply<T>, Failure> {
        self.call_reading(endpoint, params, query, body, read_json).await
    }

    /// The address of `endpoint` at P100.
    pub fn url_of(&self, endpoint: &Endpoint, params: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!(
            "{}{}",
            self.base.path().trim_end_matches('/'),
            endpoint.path(params)
        ));
        url
    }

    /// Calls `endpoint` and reads its 2xx answer with `read` (for answers that are not JSON).
    pub async fn call_reading<T, B: Serialize>(
        &self,
        endpoint: &Endpoint,
        params: &[&str],
        query: &[(&str, &str)],
        body: Body<'_, B>,
        read: fn(&[u8]) -> Result<T, String>,
    ) -> Result<Reply<T>, Failure> {
        let started = Instant::now();
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut url = self.url_of(endpoint, params);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let attempts_allowed = if endpoint.effect == Effect::Read {
            self.settings.read_attempts.max(1)
        } else {
            1
        };

        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            let result = self.attempt::<T, B>(endpoint, &url, &request_id, &body, read).await;
            let retry_in = match &result {
                Err((error, _)) if attempt < attempts_allowed && error.transient() => {
                    Some(self.backoff(attempt, error))
                }
                _ => None,
            };
            match retry_in {
                Some(delay) => {
                    tracing::info!(
                        endpoint = endpoint.name,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        "p100 retry"
                    );
                    tokio::time::sleep(delay).await;
                }
                None => break result,
            }
        };

        let (status, upstream_id) = match &outcome {
            Ok((_, status, id)) => (Some(*status), id.clone()),
            Err((_, answer)) => (
                answer.as_ref().map(|(status, _)| *status),
                answer.as_ref().and_then(|(_, id)| id.clone()),
            ),
        };
        let call = CallRecord {
            endpoint: endpoint.name,
            status,
            duration: started.elapsed(),
            request_id: upstream_id.unwrap_or(request_id),
            attempts: attempt,
        };
        let duration_ms = call.duration.as_millis() as u64;
        match outcome {
            Ok((value, _, _)) => {
                tracing::info!(endpoint = call.endpoint, status, duration_ms, request_id = %call.request_id, attempts = attempt, "p100 call");
                Ok(Reply { value, call })
            }
            Err((error, _)) => {
                tracing::warn!(endpoint = call.endpoint, status, duration_ms, request_id = %call.request_id, attempts = attempt, %error, "p100 call failed");
                Err(Failure { error, call })
            }
        }
    }

    /// One HTTP exchange. On failure, also the status and P100's request id if an answer came.
    #[allow(clippy::type_complexity)]
    async fn attempt<T, B: Serialize>(
        &self,
        endpoint: &Endpoint,
        url: &Url,
        request_id: &str,
        body: &Body<'_, B>,
        read: fn(&[u8]) -> Result<T, String>,
    ) -> Result<(T, u16, Option<String>), (P100Error, Option<(u16, Option<String>)>)> {
        let mut key = HeaderValue::from_str(self.api_key.expose_secret()).map_err(|_| {
            (
                P100Error::AccessDenied {
                    marker: "the configured API key is not a valid header value".into(),
                },
                None,
            )
        })?;
        key.set_sensitive(true);
        let mut request = self
            .http
            .request(endpoint.method.clone(), url.clone())
            .header("x-api-key", key)
            .header("x-request-id", request_id);
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::Multipart(form) => request.multipart(form()),
        };

        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => return Err((self.transport_error(endpoint, &err), None)),
        };
        let status = response.status().as_u16();
        let upstream_id = header_text(response.headers(), "x-request-id");
        let retry_after = header_text(response.headers(), RETRY_AFTER.as_str())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(err) => return Err((self.transport_error(endpoint, &err), Some((status, upstream_id)))),
        };
        let answer = Some((status, upstream_id.clone()));

        if (200..300).contains(&status) {
            return read(&bytes)
                .map(|value| (value, status, upstream_id))
                .map_err(|detail| {
                    (
                        P100Error::Unexpected {
                            endpoint: endpoint.name,
                            detail,
                        },
                        answer,
                    )
                });
        }
        let error = classify(status, &bytes, retry_after);
        let error = if endpoint.name.starts_with("card.") {
            card_error(error)
        } else {
            error
        };
        Err((error, answer))
    }

    fn transport_error(&self, endpoint: &Endpoint, err: &reqwest::Error) -> P100Error {
        if err.is_connect() {
            // The connection never opened, so the request cannot have reached P100.
            P100Error::Unreachable(err.to_string())
        } else if endpoint.effect == Effect::Read && !err.is_timeout() {
            P100Error::Unreachable(err.to_string())
        } else {
            P100Error::OutcomeUnknown {
                endpoint: endpoint.name,
            }
        }
    }

    fn backoff(&self, attempt: u32, error: &P100Error) -> Duration {
        if let P100Error::RateLimited {
            retry_after: Some(wait),
        } = error
        {
            return (*wait).min(self.settings.max_backoff * 4);
        }
        let base = self
            .settings
            .backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(self.settings.max_backoff);
        let jitter = rand::random_range(0..=base.as_millis() as u64 / 2);
        base + Duration::from_millis(jitter)
    }
}

/// A JSON answer. An empty body reads as JSON `null`, which suits `()` and `Option` answers.
fn read_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        bytes
    };
    serde_json::from_slice(text).map_err(|err| err.to_string())
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Turns a non-2xx answer into an error, by P-code when the body has one (ERRORS.md section 1).
/// P100 keeps its card module suspended (REFERENCE §3.9) and documents no answer of its own for
/// that: a card call refused with anything but a card's own P-code (no such card, country, user not
/// verified or not extended), an access denial or a rate limit is read as the suspension.
fn card_error(error: P100Error) -> P100Error {
    match error {
        P100Error::Refused {
            code: PCode::P434 | PCode::P451 | PCode::P459 | PCode::P461,
            ..
        }
        | P100Error::AccessDenied { .. }
        | P100Error::RateLimited { .. } => error,
        _ => P100Error::CardsSuspended,
    }
}

fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> P100Error {
    if status == 401 {
        let text = String::from_utf8_lossy(body);
        let marker = ["xo1", "xo2", "xo3"]
            .into_iter()
            .find(|m| text.contains(m))
            .unwrap_or("401");
        return P100Error::AccessDenied {
            marker: marker.to_owned(),
        };
    }
    if let Ok(ErrorBody {
        error_code,
        error_name,
        error_message,
    }) = serde_json::from_slice::<ErrorBody>(body)
    {
        return P100Error::Refused {
            code: PCode::parse(&error_code),
            name: error_name,
            message: error_message,
            status,
        };
    }
    match status {
        429 => P100Error::RateLimited { retry_after },
        _ => P100Error::Unavailable { status },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_by_p_code_first() {
        let refused = classify(400, br#"{"errorCode":"P412","errorName":"invalid-user"}"#, None);
        assert!(matches!(
            refused,
            P100Error::Refused {
                code: PCode::P412,
                status: 400,
                ..
            }
        ));
        let not_found = classify(404, br#"{"errorCode":"P445"}"#, None);
        assert!(matches!(
            not_found,
            P100Error::Refused {
                code: PCode::P445,
                status: 404,
                ..
            }
        ));
        assert_eq!(
            classify(401, b"Access Denied. xo2", None),
            P100Error::AccessDenied { marker: "xo2".into() }
        );
        assert_eq!(
            classify(401, br#"{"message":"Access Denied. xo3"}"#, None).code(),
            "xo3"
        );
        assert_eq!(
            classify(429, b"", Some(Duration::from_secs(2))),
            P100Error::RateLimited {
                retry_after: Some(Duration::from_secs(2))
            }
        );
        assert_eq!(classify(502, b"<html>", None), P100Error::Unavailable { status: 502 });
    }
}

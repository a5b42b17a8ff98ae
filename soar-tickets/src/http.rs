//! The HTTP side of the ticket systems: one client per process, capped
//! retries of what waiting can fix, and errors that say which call failed
//! and why.

// Without a system (`--no-default-features`), only the public policy and
// client are used.
#![cfg_attr(not(any(feature = "jira", feature = "servicenow")), allow(dead_code))]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, ACCEPT, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use soar_core::error_class::ErrorClass;
use soar_core::ports::PortError;

use crate::credentials::CredentialSource;

/// How a ticket system's calls are retried: HTTP 429 and 5xx, and
/// connections that fail or time out. Each wait is a random time up to an
/// exponentially growing bound (full jitter), capped at `max_backoff_ms`;
/// a `Retry-After` of a 429 or 503 is honoured up to the same cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 3).
    pub max_attempts: u32,
    /// The bound of the first wait (default 200 ms).
    pub initial_backoff_ms: u64,
    /// The longest wait (default 5 s).
    pub max_backoff_ms: u64,
    /// How long one attempt may take, connection included (default 10 s).
    pub timeout_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff_ms: 200,
            max_backoff_ms: 5_000,
            timeout_ms: 10_000,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1 for the first), before
    /// the server's `Retry-After` is considered.
    fn backoff(&self, attempt: u32) -> Duration {
        let bound = self
            .initial_backoff_ms
            .saturating_mul(1_u64 << attempt.saturating_sub(1).min(20))
            .min(self.max_backoff_ms);
        Duration::from_millis(fastrand::u64(0..=bound))
    }

    fn cap(&self) -> Duration {
        Duration::from_millis(self.max_backoff_ms)
    }
}

/// The process's one HTTP client: connection pools and TLS sessions are
/// shared by every ticket system and every call. Timeouts are set per
/// request, from each system's [`RetryPolicy`].
pub fn shared_client() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(concat!("soar-tickets/", env!("CARGO_PKG_VERSION")))
                .build()
                // Building fails only when the TLS backend cannot start; a
                // plain client still reaches http:// endpoints and reports
                // the TLS failure on each https:// call.
                .unwrap_or_else(|error| {
                    tracing::error!(%error, "the HTTP client could not be built with TLS");
                    reqwest::Client::new()
                })
        })
        .clone()
}

/// A ticket system's endpoint: base URL, credentials and retries.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) system: &'static str,
    client: reqwest::Client,
    base: String,
    credentials: Arc<dyn CredentialSource>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("system", &self.system)
            .field("base", &self.base)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    pub(crate) fn new(
        system: &'static str,
        url: &str,
        credentials: Arc<dyn CredentialSource>,
        retry: RetryPolicy,
    ) -> Result<Self, crate::ConfigError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| crate::ConfigError {
            member: "url",
            message: format!("{url:?} is not a URL: {e}"),
        })?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(crate::ConfigError {
                member: "url",
                message: format!("{url:?} is not an http(s) URL"),
            });
        }
        if retry.max_attempts == 0 || retry.initial_backoff_ms > retry.max_backoff_ms {
            return Err(crate::ConfigError {
                member: "retry",
                message:
                    "max_attempts must be at least 1, and initial_backoff_ms at most max_backoff_ms"
                        .into(),
            });
        }
        Ok(Endpoint {
            system,
            client: shared_client(),
            base: url.trim_end_matches('/').to_owned(),
            credentials,
            retry,
        })
    }

    /// Sends one call and returns the reply's JSON (`null` when empty),
    /// retrying 429, 5xx and failed connections up to the
    /// policy's attempts. 401 and 403 fail at once as access denied, 404 as
    /// not found, any other 4xx as refused, each with the system's message.
    pub(crate) async fn call(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, PortError> {
        let credentials = self.credentials.credentials().await?;
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .client
                .request(method.clone(), &url)
                .timeout(Duration::from_millis(self.retry.timeout_ms))
                .header(ACCEPT, "application/json");
            request = match credentials.user() {
                Some(user) => request.basic_auth(user, Some(credentials.token())),
                None => request.bearer_auth(credentials.token()),
            };
            if let Some(body) = body {
                request = request.json(body);
            }
            let (failure, wait, throttled) = match request.send().await {
                Ok(response) if response.status().is_success() => {
                    let text = response.text().await.map_err(|e| {
                        self.error(
                            operation,
                            ErrorClass::Other,
                            format!("reading the reply: {e}"),
                        )
                    })?;
                    let body = if text.trim().is_empty() {
                        Value::Null
                    } else {
                        serde_json::from_str(&text).map_err(|e| {
                            self.error(
                                operation,
                                ErrorClass::Other,
                                format!("the reply is not JSON ({e}): {}", excerpt(&text)),
                            )
                        })?
                    };
                    return Ok(body);
                }
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(response.headers());
                    let text = response.text().await.unwrap_or_default();
                    let message = format!("HTTP {status}: {}", system_message(&text));
                    match classify(status) {
                        Some(class) => return Err(self.error(operation, class, message)),
                        None => (
                            message,
                            retry_after,
                            status == StatusCode::TOO_MANY_REQUESTS,
                        ),
                    }
                }
                Err(error) if error.is_connect() || error.is_timeout() => {
                    (format!("no answer: {error}"), None, false)
                }
                Err(error) => {
                    return Err(self.error(operation, ErrorClass::Other, error.to_string()))
                }
            };
            if attempt >= self.retry.max_attempts {
                let class = if throttled {
                    ErrorClass::Throttled
                } else {
                    ErrorClass::Other
                };
                return Err(self.error(
                    operation,
                    class,
                    format!("{failure} (after {attempt} attempts)"),
                ));
            }
            let wait = wait
                .map(|server| server.min(self.retry.cap()))
                .unwrap_or_else(|| self.retry.backoff(attempt));
            tracing::debug!(system = self.system, operation, attempt, ?wait, %failure, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    fn error(&self, operation: &'static str, class: ErrorClass, message: String) -> PortError {
        PortError {
            port: self.system,
            operation,
            class,
            message,
        }
    }
}

/// The class of a failed status that is not retried; `None` for one that
/// is (429 and 5xx).
fn classify(status: StatusCode) -> Option<ErrorClass> {
    match status.as_u16() {
        429 | 500..=599 => None,
        401 | 403 => Some(ErrorClass::AccessDenied),
        404 => Some(ErrorClass::NotFound),
        409 => Some(ErrorClass::InvalidState),
        _ => Some(ErrorClass::Other),
    }
}

/// `Retry-After` in seconds (the form Jira and ServiceNow send).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// What the system said: Jira's `errorMessages` and `errors`, ServiceNow's
/// `error.message` and `error.detail`, or the start of the body.
fn system_message(text: &str) -> String {
    let Ok(body) = serde_json::from_str::<Value>(text) else {
        return excerpt(text);
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(messages) = body.get("errorMessages").and_then(Value::as_array) {
        parts.extend(messages.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Some(errors) = body.get("errors").and_then(Value::as_object) {
        parts.extend(
            errors
                .iter()
                .map(|(field, why)| format!("{field}: {}", why.as_str().unwrap_or_default())),
        );
    }
    if let Some(error) = body.get("error") {
        for key in ["message", "detail"] {
            if let Some(text) = error.get(key).and_then(Value::as_str) {
                parts.push(text.to_owned());
            }
        }
    }
    if parts.is_empty() {
        excerpt(text)
    } else {
        parts.join("; ")
    }
}

fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_the_cap_and_never_beyond() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff_ms: 100,
            max_backoff_ms: 1_000,
            timeout_ms: 1,
        };
        for attempt in 1..=40 {
            let bound = (100_u64 << (attempt - 1).min(20)).min(1_000);
            for _ in 0..20 {
                assert!(policy.backoff(attempt) <= Duration::from_millis(bound));
            }
        }
    }

    #[test]
    fn statuses_are_classified_as_the_issue_says() {
        assert_eq!(classify(StatusCode::TOO_MANY_REQUESTS), None);
        assert_eq!(classify(StatusCode::BAD_GATEWAY), None);
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED),
            Some(ErrorClass::AccessDenied)
        );
        assert_eq!(
            classify(StatusCode::FORBIDDEN),
            Some(ErrorClass::AccessDenied)
        );
        assert_eq!(classify(StatusCode::NOT_FOUND), Some(ErrorClass::NotFound));
        assert_eq!(classify(StatusCode::BAD_REQUEST), Some(ErrorClass::Other));
    }

    #[test]
    fn the_systems_own_words_are_kept() {
        let jira =
            r#"{"errorMessages": ["Issue does not exist"], "errors": {"priority": "invalid"}}"#;
        assert_eq!(
            system_message(jira),
            "Issue does not exist; priority: invalid"
        );
        let servicenow = r#"{"error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"}, "status": "failure"}"#;
        assert_eq!(
            system_message(servicenow),
            "User Not Authenticated; Required to provide Auth information"
        );
        assert_eq!(
            system_message("<html>Bad gateway</html>"),
            "<html>Bad gateway</html>"
        );
        assert_eq!(system_message(&"x".repeat(300)).len(), 203);
    }
}

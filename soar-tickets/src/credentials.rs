//! Where a ticket system's credentials come from, read once and cached.
//!
//! A deployment keeps them in SSM Parameter Store (a `SecureString`) or in
//! Secrets Manager, as one JSON document:
//!
//! ```json
//! {"user": "soar@example.com", "token": "the API token"}
//! ```
//!
//! For Jira Cloud, `user` is the account's e-mail and `token` an API token
//! (basic auth); for ServiceNow, a user and its password. Without `user`,
//! the token is sent as a bearer token. [`Cached`] reads the source on the
//! first call only; a read that fails is not cached, so the next call tries
//! again.

use std::fmt;

use async_trait::async_trait;
use serde::Deserialize;
use soar_core::error_class::ErrorClass;
use soar_core::ports::PortError;

/// A user and a token. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    user: Option<String>,
    token: String,
}

impl Credentials {
    /// Basic auth: a user (for Jira Cloud, the e-mail) and a token.
    pub fn basic(user: impl Into<String>, token: impl Into<String>) -> Self {
        Credentials {
            user: Some(user.into()),
            token: token.into(),
        }
    }

    /// A bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Credentials {
            user: None,
            token: token.into(),
        }
    }

    /// Credentials from two environment variables, such as
    /// `SOAR_TICKET_USER` and `SOAR_TICKET_TOKEN`; without the user, a
    /// bearer token.
    ///
    /// # Errors
    /// A [`PortError`] naming the token variable when it is unset or empty.
    pub fn from_env(user_var: &str, token_var: &str) -> Result<Self, PortError> {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let token = read(token_var)
            .ok_or_else(|| missing("environment", format!("{token_var} is not set")))?;
        Ok(match read(user_var) {
            Some(user) => Credentials::basic(user, token),
            None => Credentials::bearer(token),
        })
    }

    /// Credentials from the JSON document a secret holds.
    ///
    /// # Errors
    /// A [`PortError`] saying what is wrong with the document, never its
    /// contents.
    pub fn from_json(where_from: &str, json: &str) -> Result<Self, PortError> {
        let credentials: Credentials = serde_json::from_str(json).map_err(|e| {
            missing(
                "secret",
                format!(
                    "{where_from} is not {{\"user\": ..., \"token\": ...}} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if credentials.token.trim().is_empty() {
            return Err(missing(
                "secret",
                format!("{where_from} has an empty token"),
            ));
        }
        Ok(credentials)
    }

    /// The user, for basic auth.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("token", &"<redacted>")
            .finish()
    }
}

fn missing(operation: &'static str, message: String) -> PortError {
    PortError {
        port: "Credentials",
        operation,
        class: ErrorClass::AccessDenied,
        message,
    }
}

/// Where credentials come from.
#[async_trait]
pub trait CredentialSource: Send + Sync {
    /// The credentials.
    async fn credentials(&self) -> Result<Credentials, PortError>;
}

#[async_trait]
impl CredentialSource for Credentials {
    async fn credentials(&self) -> Result<Credentials, PortError> {
        Ok(self.clone())
    }
}

/// A source read once: the first call reads it, later calls get the copy.
#[derive(Debug)]
pub struct Cached<S> {
    source: S,
    cell: tokio::sync::OnceCell<Credentials>,
}

impl<S: CredentialSource> Cached<S> {
    /// Caches `source`.
    pub fn new(source: S) -> Self {
        Cached {
            source,
            cell: tokio::sync::OnceCell::new(),
        }
    }
}

#[async_trait]
impl<S: CredentialSource> CredentialSource for Cached<S> {
    async fn credentials(&self) -> Result<Credentials, PortError> {
        self.cell
            .get_or_try_init(|| self.source.credentials())
            .await
            .cloned()
    }
}

/// Credentials in an SSM Parameter Store parameter (a `SecureString`),
/// read with decryption. IAM: `ssm:GetParameter` on the parameter, and
/// `kms:Decrypt` on its key.
#[cfg(feature = "ssm")]
#[derive(Debug, Clone)]
pub struct SsmParameter {
    client: aws_sdk_ssm::Client,
    name: String,
}

#[cfg(feature = "ssm")]
impl SsmParameter {
    /// The parameter `name`, read with `client`.
    pub fn new(client: aws_sdk_ssm::Client, name: impl Into<String>) -> Self {
        SsmParameter {
            client,
            name: name.into(),
        }
    }
}

#[cfg(feature = "ssm")]
#[async_trait]
impl CredentialSource for SsmParameter {
    async fn credentials(&self) -> Result<Credentials, PortError> {
        let output = self
            .client
            .get_parameter()
            .name(&self.name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| aws_error("GetParameter", &e))?;
        let value = output.parameter().and_then(|p| p.value()).ok_or_else(|| {
            missing(
                "GetParameter",
                format!("parameter {} has no value", self.name),
            )
        })?;
        Credentials::from_json(&format!("parameter {}", self.name), value)
    }
}

/// Credentials in a Secrets Manager secret's string. IAM:
/// `secretsmanager:GetSecretValue` on the secret.
#[cfg(feature = "secretsmanager")]
#[derive(Debug, Clone)]
pub struct SecretsManagerSecret {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

#[cfg(feature = "secretsmanager")]
impl SecretsManagerSecret {
    /// The secret `secret_id` (its name or ARN), read with `client`.
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        SecretsManagerSecret {
            client,
            secret_id: secret_id.into(),
        }
    }
}

#[cfg(feature = "secretsmanager")]
#[async_trait]
impl CredentialSource for SecretsManagerSecret {
    async fn credentials(&self) -> Result<Credentials, PortError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| aws_error("GetSecretValue", &e))?;
        let value = output.secret_string().ok_or_else(|| {
            missing(
                "GetSecretValue",
                format!("secret {} has no string", self.secret_id),
            )
        })?;
        Credentials::from_json(&format!("secret {}", self.secret_id), value)
    }
}

#[cfg(any(feature = "ssm", feature = "secretsmanager"))]
fn aws_error<E>(operation: &'static str, error: &E) -> PortError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error,
{
    let (class, message) = soar_core::error_class::describe_error(error);
    PortError {
        port: "Credentials",
        operation,
        class,
        message,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Counting(AtomicUsize);

    #[async_trait]
    impl CredentialSource for Counting {
        async fn credentials(&self) -> Result<Credentials, PortError> {
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(missing("test", "not yet".into()))
            } else {
                Ok(Credentials::basic("u", "t"))
            }
        }
    }

    #[tokio::test]
    async fn a_source_is_read_once_and_a_failed_read_is_not_kept() {
        let cached = Cached::new(Counting(AtomicUsize::new(0)));
        assert!(cached.credentials().await.is_err());
        assert_eq!(
            cached.credentials().await.unwrap(),
            Credentials::basic("u", "t")
        );
        assert_eq!(
            cached.credentials().await.unwrap(),
            Credentials::basic("u", "t")
        );
        assert_eq!(cached.source.0.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_secret_document_is_read_and_its_token_never_shown() {
        let credentials = Credentials::from_json(
            "secret s",
            r#"{"user": "a@example.com", "token": "t0ps3cret"}"#,
        )
        .unwrap();
        assert_eq!(
            (credentials.user(), credentials.token()),
            (Some("a@example.com"), "t0ps3cret")
        );
        assert!(!format!("{credentials:?}").contains("t0ps3cret"));
        let bearer = Credentials::from_json("secret s", r#"{"token": "abc"}"#).unwrap();
        assert_eq!(bearer.user(), None);
    }

    #[test]
    fn a_bad_secret_says_where_and_not_what() {
        let error =
            Credentials::from_json("parameter /soar/jira", r#"{"user": "t0ps3cret"}"#).unwrap_err();
        assert_eq!(error.class, ErrorClass::AccessDenied);
        assert!(error.message.contains("parameter /soar/jira"), "{error}");
        assert!(!error.message.contains("t0ps3cret"), "{error}");
        let empty = Credentials::from_json("secret s", r#"{"token": " "}"#).unwrap_err();
        assert!(empty.message.contains("empty token"), "{empty}");
    }

    #[cfg(feature = "ssm")]
    #[tokio::test]
    async fn an_ssm_parameter_is_read_decrypted_once_and_a_missing_one_named() {
        use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
        use aws_sdk_ssm::types::error::ParameterNotFound;
        use aws_sdk_ssm::types::Parameter;
        use aws_smithy_mocks::{mock, mock_client, RuleMode};

        let get = mock!(aws_sdk_ssm::Client::get_parameter)
            .match_requests(|r| r.name() == Some("/soar/jira") && r.with_decryption() == Some(true))
            .then_output(|| {
                GetParameterOutput::builder()
                    .parameter(
                        Parameter::builder()
                            .value(r#"{"user": "soar@example.com", "token": "t0ps3cret"}"#)
                            .build(),
                    )
                    .build()
            });
        let client = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&get]);
        let cached = Cached::new(SsmParameter::new(client, "/soar/jira"));
        for _ in 0..3 {
            assert_eq!(
                cached.credentials().await.unwrap(),
                Credentials::basic("soar@example.com", "t0ps3cret")
            );
        }
        assert_eq!(get.num_calls(), 1, "read once, then cached");

        let missing = mock!(aws_sdk_ssm::Client::get_parameter).then_error(|| {
            // As the SDK reads it off the wire: the code in the metadata.
            let meta = aws_smithy_types::error::ErrorMetadata::builder()
                .code("ParameterNotFound")
                .message("/soar/gone")
                .build();
            GetParameterError::ParameterNotFound(ParameterNotFound::builder().meta(meta).build())
        });
        let client = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&missing]);
        let error = SsmParameter::new(client, "/soar/gone")
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(
            (error.operation, error.class),
            ("GetParameter", ErrorClass::NotFound)
        );
    }

    #[cfg(feature = "secretsmanager")]
    #[tokio::test]
    async fn a_secret_is_read_once_and_a_denied_read_says_so() {
        use aws_sdk_secretsmanager::operation::get_secret_value::{
            GetSecretValueError, GetSecretValueOutput,
        };
        use aws_smithy_mocks::{mock, mock_client, RuleMode};

        let get = mock!(aws_sdk_secretsmanager::Client::get_secret_value)
            .match_requests(|r| r.secret_id() == Some("soar/servicenow"))
            .then_output(|| {
                GetSecretValueOutput::builder()
                    .secret_string(r#"{"user": "soar", "token": "pw"}"#)
                    .build()
            });
        let client = mock_client!(aws_sdk_secretsmanager, RuleMode::MatchAny, [&get]);
        let cached = Cached::new(SecretsManagerSecret::new(client, "soar/servicenow"));
        assert_eq!(
            cached.credentials().await.unwrap(),
            Credentials::basic("soar", "pw")
        );
        assert_eq!(
            cached.credentials().await.unwrap(),
            Credentials::basic("soar", "pw")
        );
        assert_eq!(get.num_calls(), 1);

        let denied = mock!(aws_sdk_secretsmanager::Client::get_secret_value).then_error(|| {
            GetSecretValueError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("not allowed")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_secretsmanager, RuleMode::MatchAny, [&denied]);
        let error = SecretsManagerSecret::new(client, "soar/servicenow")
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(error.class, ErrorClass::AccessDenied);
        assert!(error.message.contains("not allowed"), "{error}");
    }
}

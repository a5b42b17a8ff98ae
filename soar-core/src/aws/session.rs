//! Cross-account sessions: an SDK configuration for the account and Region
//! a finding's resource is in.
//!
//! A session is only ever given for the [`Location`] asked for. The ambient
//! credentials serve the account they belong to and no other: a finding
//! from another account gets a session through the configured role in that
//! account, or an error that names the account and why, never the caller's
//! own account by mistake. So a lookup cannot run in the wrong account, and
//! a same-named resource in the caller's account is never touched.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_sts::Client;
use aws_types::region::Region;
use aws_types::SdkConfig;
use tokio::sync::{Mutex, OnceCell};

use super::port_error;
use crate::error_class::ErrorClass;
use crate::location::Location;
use crate::ports::PortError;

const PORT: &str = "SessionFactory";

/// Gives the SDK configuration to act in an account and Region.
///
/// Build any service client from the result:
/// `aws_sdk_s3::Client::new(&sessions.config_for(&location).await?)`. The
/// configuration's Region is always `location.region`, whatever the base
/// configuration (or `AWS_REGION`) says.
///
/// # Errors
/// A [`PortError`] whose message names the account and the reason when no
/// session can be had there: no role is configured for other accounts, or
/// `AssumeRole` was denied. Callers turn it into a ticket.
#[async_trait]
pub trait SessionFactory: Send + Sync {
    /// The configuration for `location`'s account, in its Region.
    async fn config_for(&self, location: &Location) -> Result<SdkConfig, PortError>;
}

/// The ambient credentials, for the one account they belong to: for
/// single-account use, tests and emulators. Any other account is refused.
#[derive(Debug, Clone)]
pub struct AmbientSessions {
    base: SdkConfig,
    account_id: String,
}

impl AmbientSessions {
    /// Sessions in `account_id`, the account of `base`'s credentials.
    pub fn new(base: SdkConfig, account_id: impl Into<String>) -> Self {
        AmbientSessions {
            base,
            account_id: account_id.into(),
        }
    }
}

fn in_region(base: &SdkConfig, region: &str) -> SdkConfig {
    base.to_builder()
        .region(Region::new(region.to_owned()))
        .build()
}

fn unreachable(location: &Location, class: ErrorClass, reason: String) -> PortError {
    PortError {
        port: PORT,
        operation: "AssumeRole",
        class,
        message: format!("cannot act in account {}: {reason}", location.account_id),
    }
}

#[async_trait]
impl SessionFactory for AmbientSessions {
    async fn config_for(&self, location: &Location) -> Result<SdkConfig, PortError> {
        if location.account_id != self.account_id {
            return Err(unreachable(
                location,
                ErrorClass::AccessDenied,
                format!(
                    "these sessions hold credentials for account {} only",
                    self.account_id
                ),
            ));
        }
        Ok(in_region(&self.base, &location.region))
    }
}

/// Sessions in the caller's own account with the ambient credentials, and in
/// every other account through `sts:AssumeRole` into
/// `arn:<partition>:iam::<account>:role/<role>`, the partition being the
/// resource's. Credentials are cached per account until shortly before they
/// expire.
///
/// The caller's account is asked of STS (`GetCallerIdentity`, which needs no
/// permission) once, unless given with [`AssumeRoleSessions::caller_account`].
/// Without a role name, every other account is refused with a reason.
/// IAM action (in the calling account): `sts:AssumeRole` on the role in each
/// member account.
pub struct AssumeRoleSessions {
    base: SdkConfig,
    sts: Client,
    role_name: Option<String>,
    external_id: Option<String>,
    session_name: String,
    refresh_before: Duration,
    clock: fn() -> SystemTime,
    caller_account: OnceCell<String>,
    cache: Mutex<HashMap<(String, String), Credentials>>,
}

impl std::fmt::Debug for AssumeRoleSessions {
    // Credentials redact their secrets in Debug; the cache is left out anyway.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumeRoleSessions")
            .field("role_name", &self.role_name)
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "** redacted **"),
            )
            .field("session_name", &self.session_name)
            .field("caller_account", &self.caller_account.get())
            .finish_non_exhaustive()
    }
}

impl AssumeRoleSessions {
    /// Sessions that assume `role_name` in other accounts (or reach none),
    /// calling STS with `sts`.
    pub fn new(base: SdkConfig, sts: Client, role_name: Option<String>) -> Self {
        AssumeRoleSessions {
            base,
            sts,
            role_name: role_name.filter(|name| !name.is_empty()),
            external_id: None,
            session_name: "soar".to_owned(),
            refresh_before: Duration::from_secs(5 * 60),
            clock: SystemTime::now,
            caller_account: OnceCell::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Passes this external ID to `AssumeRole`.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// The account of the ambient credentials, when it is known, so that
    /// STS is not asked.
    pub fn caller_account(self, account_id: impl Into<String>) -> Self {
        let _ = self.caller_account.set(account_id.into());
        self
    }

    /// The role session name, which appears in CloudTrail.
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        self.session_name = name.into();
        self
    }

    /// Assumes the role again when the credentials expire within `margin`.
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// Another clock, for tests.
    pub fn with_clock(mut self, clock: fn() -> SystemTime) -> Self {
        self.clock = clock;
        self
    }

    /// The role assumed in other accounts, if any.
    pub fn role_name(&self) -> Option<&str> {
        self.role_name.as_deref()
    }

    /// The account the ambient credentials belong to.
    ///
    /// # Errors
    /// A [`PortError`] when STS cannot tell.
    pub async fn own_account(&self) -> Result<&str, PortError> {
        self.caller_account
            .get_or_try_init(|| async {
                let identity = self
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| port_error(PORT, "GetCallerIdentity", &e))?;
                identity
                    .account()
                    .map(str::to_owned)
                    .ok_or_else(|| PortError {
                        port: PORT,
                        operation: "GetCallerIdentity",
                        class: ErrorClass::Other,
                        message: "STS returned no account".to_owned(),
                    })
            })
            .await
            .map(String::as_str)
    }

    fn is_fresh(&self, credentials: &Credentials) -> bool {
        credentials
            .expiry()
            .is_some_and(|expiry| expiry > (self.clock)() + self.refresh_before)
    }

    async fn credentials(
        &self,
        location: &Location,
        role_arn: &str,
    ) -> Result<Credentials, PortError> {
        let key = (location.partition.clone(), location.account_id.clone());
        let mut cache = self.cache.lock().await;
        if let Some(credentials) = cache.get(&key).filter(|c| self.is_fresh(c)) {
            return Ok(credentials.clone());
        }
        let output = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| {
                let error = port_error(PORT, "AssumeRole", &e);
                unreachable(
                    location,
                    error.class,
                    format!("assuming {role_arn} failed: {}", error.message),
                )
            })?;
        let issued = output.credentials().ok_or_else(|| {
            unreachable(
                location,
                ErrorClass::Other,
                format!("STS returned no credentials for {role_arn}"),
            )
        })?;
        let expiry = SystemTime::try_from(*issued.expiration()).ok();
        let credentials = Credentials::new(
            issued.access_key_id(),
            issued.secret_access_key(),
            Some(issued.session_token().to_owned()),
            expiry,
            "soar-assume-role",
        );
        cache.insert(key, credentials.clone());
        Ok(credentials)
    }
}

#[async_trait]
impl SessionFactory for AssumeRoleSessions {
    async fn config_for(&self, location: &Location) -> Result<SdkConfig, PortError> {
        if self.own_account().await? == location.account_id {
            return Ok(in_region(&self.base, &location.region));
        }
        let Some(role) = self.role_name.as_deref() else {
            return Err(unreachable(
                location,
                ErrorClass::AccessDenied,
                "it is not the caller's account and no role name is configured to assume there"
                    .to_owned(),
            ));
        };
        let role_arn = location.role_arn(role);
        let credentials = self.credentials(location, &role_arn).await?;
        let config = self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        Ok(in_region(&config, &location.region))
    }
}

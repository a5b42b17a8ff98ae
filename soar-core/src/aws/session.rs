//! Cross-account sessions: an SDK configuration for each member account.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_sts::Client;
use aws_types::region::Region;
use aws_types::SdkConfig;
use tokio::sync::Mutex;

use super::port_error;
use crate::ports::PortError;
use crate::retry::ErrorClass;

/// Gives the SDK configuration to act in an account and Region.
///
/// Build any service client from the result:
/// `aws_sdk_s3::Client::new(&sessions.config_for(account, Some(region)).await?)`.
#[async_trait]
pub trait SessionFactory: Send + Sync {
    /// The configuration for `account_id`, in `region` (or the base
    /// configuration's Region).
    async fn config_for(
        &self,
        account_id: &str,
        region: Option<&str>,
    ) -> Result<SdkConfig, PortError>;
}

/// The ambient credentials for every account: for single-account use, and
/// for tests and emulators.
#[derive(Debug, Clone)]
pub struct AmbientSessions {
    base: SdkConfig,
}

impl AmbientSessions {
    /// Sessions that all use `base`.
    pub fn new(base: SdkConfig) -> Self {
        AmbientSessions { base }
    }
}

fn in_region(base: &SdkConfig, region: Option<&str>) -> SdkConfig {
    match region {
        Some(region) => base
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build(),
        None => base.clone(),
    }
}

#[async_trait]
impl SessionFactory for AmbientSessions {
    async fn config_for(
        &self,
        _account_id: &str,
        region: Option<&str>,
    ) -> Result<SdkConfig, PortError> {
        Ok(in_region(&self.base, region))
    }
}

/// Sessions from `sts:AssumeRole` into `arn:<partition>:iam::<account>:role/<role>`,
/// with the credentials cached per account until shortly before they expire.
///
/// With no role name it uses the ambient credentials, like
/// [`AmbientSessions`]. IAM action (in the calling account): `sts:AssumeRole`
/// on the role in each member account.
pub struct AssumeRoleSessions {
    base: SdkConfig,
    sts: Client,
    role_name: Option<String>,
    external_id: Option<String>,
    partition: String,
    session_name: String,
    refresh_before: Duration,
    clock: fn() -> SystemTime,
    cache: Mutex<HashMap<String, Credentials>>,
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
            .field("partition", &self.partition)
            .field("session_name", &self.session_name)
            .finish_non_exhaustive()
    }
}

impl AssumeRoleSessions {
    /// Sessions that assume `role_name` (or none: ambient credentials),
    /// calling STS with `sts`.
    pub fn new(base: SdkConfig, sts: Client, role_name: Option<String>) -> Self {
        AssumeRoleSessions {
            base,
            sts,
            role_name,
            external_id: None,
            partition: "aws".to_owned(),
            session_name: "soar".to_owned(),
            refresh_before: Duration::from_secs(5 * 60),
            clock: SystemTime::now,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Passes this external ID to `AssumeRole`.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// The partition of the role ARNs (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = partition.into();
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

    /// The ARN of the role in `account_id`.
    pub fn role_arn(&self, account_id: &str) -> Option<String> {
        let role = self.role_name.as_deref()?;
        Some(format!(
            "arn:{}:iam::{account_id}:role/{role}",
            self.partition
        ))
    }

    fn is_fresh(&self, credentials: &Credentials) -> bool {
        credentials
            .expiry()
            .is_some_and(|expiry| expiry > (self.clock)() + self.refresh_before)
    }

    async fn credentials(
        &self,
        account_id: &str,
        role_arn: &str,
    ) -> Result<Credentials, PortError> {
        let mut cache = self.cache.lock().await;
        if let Some(credentials) = cache.get(account_id).filter(|c| self.is_fresh(c)) {
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
            .map_err(|e| port_error("SessionFactory", "AssumeRole", &e))?;
        let issued = output.credentials().ok_or_else(|| PortError {
            port: "SessionFactory",
            operation: "AssumeRole",
            class: ErrorClass::Other,
            message: format!("STS returned no credentials for {role_arn}"),
        })?;
        let expiry = SystemTime::try_from(*issued.expiration()).ok();
        let credentials = Credentials::new(
            issued.access_key_id(),
            issued.secret_access_key(),
            Some(issued.session_token().to_owned()),
            expiry,
            "soar-assume-role",
        );
        cache.insert(account_id.to_owned(), credentials.clone());
        Ok(credentials)
    }
}

#[async_trait]
impl SessionFactory for AssumeRoleSessions {
    async fn config_for(
        &self,
        account_id: &str,
        region: Option<&str>,
    ) -> Result<SdkConfig, PortError> {
        let Some(role_arn) = self.role_arn(account_id) else {
            return Ok(in_region(&self.base, region));
        };
        let credentials = self.credentials(account_id, &role_arn).await?;
        let config = self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        Ok(in_region(&config, region))
    }
}

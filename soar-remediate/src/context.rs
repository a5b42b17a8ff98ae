//! [`Context`]: where a remediation acts and with which settings, and
//! [`ContextFactory`], which makes one for the account and Region a finding
//! is in.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_async::rt::sleep::{default_async_sleep, AsyncSleep};
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_types::region::Region;
use aws_types::SdkConfig;
use serde::{Deserialize, Serialize};
use soar_asff::Finding;
use soar_core::aws::SessionFactory;
use soar_core::{DestructiveControls, Location};

use crate::error::RemediationError;
use crate::remediation::ControlMeta;

/// Settings of the remediations, with defaults that suit most accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The destructive controls (delete, terminate, expire data) that may
    /// run, by control ID. The same switch, with the same meaning, as
    /// soar-core's `auto_remediation.destructive_controls`; every other
    /// destructive control is ticketed with its plan.
    pub destructive_controls: DestructiveControls,
    /// S3.9: the bucket that receives server access logs, when
    /// [`Settings::s3_access_log_buckets`] names none for the source
    /// bucket's account and Region. `{account_id}` and `{region}` are
    /// replaced, so `"access-logs-{account_id}-{region}"` names one bucket
    /// per account and Region.
    pub s3_access_log_bucket: Option<String>,
    /// S3.9: log buckets by `"<account_id>/<region>"`, where either part may
    /// be `*`. The most specific key wins.
    pub s3_access_log_buckets: BTreeMap<String, String>,
    /// ELB.5: the bucket that receives load balancer access logs, in the
    /// load balancer's account and Region. `{account_id}` and `{region}`
    /// are replaced, as in [`Settings::s3_access_log_bucket`].
    pub elb_access_log_bucket: Option<String>,
    /// ELB.5: the prefix of the access logs in that bucket (none by
    /// default). ELB writes under `<prefix>/AWSLogs/<account_id>/`.
    pub elb_access_log_prefix: String,
    /// EC2.6: the CloudWatch Logs group VPC flow logs go to, one per
    /// account and Region, created when missing.
    pub ec2_flow_log_group: String,
    /// EC2.6: how many days the flow-log group keeps its events. One of
    /// the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120,
    /// 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
    /// 3653).
    pub ec2_flow_log_retention_days: i32,
    /// EC2.6: the traffic the flow logs record: `REJECT` (what Security Hub
    /// checks by default) or `ALL`.
    pub ec2_flow_log_traffic_type: String,
    /// S3.10: days before noncurrent object versions expire.
    pub s3_noncurrent_version_days: i32,
    /// S3.10 and S3.13: days before incomplete multipart uploads are aborted.
    pub s3_abort_incomplete_upload_days: i32,
    /// ECR.3: how many images a repository keeps.
    pub ecr_keep_images: i32,
    /// EC2.18: the TCP ports that may stay open to the world (`0.0.0.0/0`,
    /// `::/0`). Security Hub's default, 80 and 443.
    pub ec2_authorized_tcp_ports: Vec<u16>,
    /// EC2.18: the UDP ports that may stay open to the world. None by
    /// default, as in Security Hub.
    pub ec2_authorized_udp_ports: Vec<u16>,
    /// EC2.19: the TCP ports that must not be open to the world. Security
    /// Hub's default list of high-risk ports.
    pub ec2_high_risk_ports: Vec<u16>,
    /// IAM.7, IAM.10 and IAM.11 to IAM.17: the account password policy
    /// soar brings an account up to. A stricter setting already in place is
    /// kept, setting by setting.
    pub iam_password_policy: PasswordPolicy,
    /// IAM.3: the age in days past which an active access key is
    /// deactivated (Security Hub's 90 by default).
    pub iam_access_key_max_age_days: i64,
    /// The RDS changes AWS applies with a restart or a failover, or in the
    /// maintenance window unless told otherwise (RDS.5 Multi-AZ, RDS.9's
    /// parameter group, RDS.11 backups from none, RDS.10 and RDS.12 IAM
    /// authentication): `false`, the default, leaves them for the next
    /// maintenance window; `true` applies them now, together with any
    /// change already pending on the database. Every plan says which.
    pub rds_apply_immediately: bool,
    /// RDS.2 and the other instance changes: how many times the instance
    /// is read while it is not `available` (modifying, backing up) before
    /// the outcome is `ReconsiderLater` (at least 1).
    pub rds_wait_attempts: u32,
    /// The wait between those reads, in milliseconds.
    pub rds_wait_delay_ms: u64,
    /// How many minutes later a finding is reconsidered when an RDS
    /// resource is busy, or an encrypted snapshot copy (RDS.4) is still
    /// being made.
    pub rds_reconsider_after_minutes: i64,
    /// RDS.4: the KMS key of the encrypted snapshot copies; RDS's AWS
    /// managed key by default. A customer managed key must allow soar's
    /// role `kms:CreateGrant` and `kms:DescribeKey`.
    pub rds_snapshot_kms_key: String,
    /// RDS.6: the enhanced-monitoring interval in seconds (1, 5, 10, 15,
    /// 30 or 60).
    pub rds_monitoring_interval_seconds: i32,
    /// RDS.11: the days of automated backups an instance keeps at least
    /// (Security Hub's 7). A longer retention is kept.
    pub rds_backup_retention_days: i32,
    /// How many times `verify` reads the resource before it calls a fix a
    /// failure (at least 1). KMS and IAM, among others, are eventually
    /// consistent: a read just after a write may not show it yet.
    pub verify_attempts: u32,
    /// The wait before the second `verify` read, in milliseconds; it
    /// doubles before each further read.
    pub verify_delay_ms: u64,
    /// No wait between `verify` reads is longer than this, in milliseconds.
    pub verify_max_delay_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            destructive_controls: DestructiveControls::default(),
            s3_access_log_bucket: None,
            s3_access_log_buckets: BTreeMap::new(),
            elb_access_log_bucket: None,
            elb_access_log_prefix: String::new(),
            ec2_flow_log_group: "/soar/vpc-flow-logs".to_owned(),
            ec2_flow_log_retention_days: 365,
            ec2_flow_log_traffic_type: "REJECT".to_owned(),
            s3_noncurrent_version_days: 90,
            s3_abort_incomplete_upload_days: 7,
            ecr_keep_images: 30,
            ec2_authorized_tcp_ports: vec![80, 443],
            ec2_authorized_udp_ports: Vec::new(),
            ec2_high_risk_ports: vec![
                20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000,
                5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300,
            ],
            iam_password_policy: PasswordPolicy::default(),
            iam_access_key_max_age_days: 90,
            rds_apply_immediately: false,
            rds_wait_attempts: 6,
            rds_wait_delay_ms: 10_000,
            rds_reconsider_after_minutes: 15,
            rds_snapshot_kms_key: "alias/aws/rds".to_owned(),
            rds_monitoring_interval_seconds: 60,
            rds_backup_retention_days: 7,
            verify_attempts: 4,
            verify_delay_ms: 500,
            verify_max_delay_ms: 2_000,
        }
    }
}

/// An account password policy, as the IAM controls bring an account up to
/// it. The default meets every Security Hub password-policy control (IAM.7,
/// IAM.10, IAM.11 to IAM.17) and the CIS benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    /// The minimum length (IAM.15: 14).
    pub minimum_length: i32,
    /// At least one uppercase letter (IAM.11).
    pub require_uppercase: bool,
    /// At least one lowercase letter (IAM.12).
    pub require_lowercase: bool,
    /// At least one symbol (IAM.13).
    pub require_symbols: bool,
    /// At least one number (IAM.14).
    pub require_numbers: bool,
    /// How many previous passwords may not be reused (IAM.16: 24).
    pub reuse_prevention: i32,
    /// Days before a password expires (IAM.17: 90 or fewer); 0: passwords
    /// do not expire.
    pub max_age_days: i32,
    /// Whether users may change their own password.
    pub allow_users_to_change: bool,
    /// Whether an expired password needs an administrator to reset it.
    pub hard_expiry: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            minimum_length: 14,
            require_uppercase: true,
            require_lowercase: true,
            require_symbols: true,
            require_numbers: true,
            reuse_prevention: 24,
            max_age_days: 90,
            allow_users_to_change: true,
            hard_expiry: false,
        }
    }
}

impl PasswordPolicy {
    /// The stricter of the two, setting by setting: the longer minimum
    /// length and reuse memory, the shorter maximum age (a policy without
    /// expiry is the least strict), and each requirement that either has.
    pub fn strictest(self, other: PasswordPolicy) -> PasswordPolicy {
        let age = |days: i32| if days > 0 { days } else { i32::MAX };
        let max_age_days = age(self.max_age_days).min(age(other.max_age_days));
        PasswordPolicy {
            minimum_length: self.minimum_length.max(other.minimum_length),
            require_uppercase: self.require_uppercase || other.require_uppercase,
            require_lowercase: self.require_lowercase || other.require_lowercase,
            require_symbols: self.require_symbols || other.require_symbols,
            require_numbers: self.require_numbers || other.require_numbers,
            reuse_prevention: self.reuse_prevention.max(other.reuse_prevention),
            max_age_days: if max_age_days == i32::MAX {
                0
            } else {
                max_age_days
            },
            allow_users_to_change: self.allow_users_to_change || other.allow_users_to_change,
            hard_expiry: self.hard_expiry || other.hard_expiry,
        }
    }
}

impl Settings {
    /// S3.9: the log bucket for source buckets in `location`, if one is
    /// configured: `s3_access_log_buckets` by `"<account>/<region>"`, then
    /// `"<account>/*"`, then `"*/<region>"`, then `"*/*"`, then
    /// `s3_access_log_bucket`, with `{account_id}` and `{region}` replaced.
    pub fn access_log_bucket(&self, location: &Location) -> Option<String> {
        let (account, region) = (location.account_id.as_str(), location.region.as_str());
        [
            format!("{account}/{region}"),
            format!("{account}/*"),
            format!("*/{region}"),
            "*/*".to_owned(),
        ]
        .iter()
        .find_map(|key| self.s3_access_log_buckets.get(key))
        .or(self.s3_access_log_bucket.as_ref())
        .map(|template| {
            template
                .replace("{account_id}", account)
                .replace("{region}", region)
        })
    }

    /// ELB.5: the access log bucket for load balancers in `location`, if
    /// one is configured, with `{account_id}` and `{region}` replaced.
    pub fn elb_log_bucket(&self, location: &Location) -> Option<String> {
        self.elb_access_log_bucket.as_ref().map(|template| {
            template
                .replace("{account_id}", &location.account_id)
                .replace("{region}", &location.region)
        })
    }

    /// The wait before `verify` read number `read` (from 2): doubling from
    /// `verify_delay_ms`, capped at `verify_max_delay_ms`.
    pub fn verify_delay(&self, read: u32) -> Duration {
        let doublings = read.saturating_sub(2).min(20);
        let delay = self.verify_delay_ms.saturating_mul(1 << doublings);
        Duration::from_millis(delay.min(self.verify_max_delay_ms))
    }
}

/// Where a remediation acts: the SDK configuration for the resource's
/// account and Region, the [`Location`] itself, and the settings.
///
/// Build it with a [`ContextFactory`] from the finding, so that it is the
/// finding's own account and Region; [`Context::new`] is for tests and for
/// callers that already hold a configuration for that place. The
/// configuration's Region is always the location's, whatever `AWS_REGION`
/// says.
///
/// Service clients come from here, so every control gets the same
/// treatment: the endpoint from `AWS_ENDPOINT_URL` or
/// `AWS_ENDPOINT_URL_<SERVICE>` (read by `aws-config` into the
/// configuration), path-style S3 addressing when an endpoint is set (so
/// emulators work), the retry policy of the configuration, and any
/// interceptors, such as the test kit's operation recorder.
#[derive(Debug, Clone)]
pub struct Context {
    sdk: SdkConfig,
    location: Location,
    /// The remediation settings.
    pub settings: Settings,
    interceptors: Vec<SharedInterceptor>,
    /// A fixed "now" for age gates, in tests; the clock otherwise.
    now: Option<soar_core::Timestamp>,
}

impl Context {
    /// A context that acts in `location` with `sdk`'s credentials (which
    /// must be valid in that account), with default settings.
    pub fn new(sdk: SdkConfig, location: Location) -> Self {
        let sdk = sdk
            .to_builder()
            .region(Region::new(location.region.clone()))
            .build();
        Context {
            sdk,
            location,
            settings: Settings::default(),
            interceptors: Vec::new(),
            now: None,
        }
    }

    /// The account, Region and partition this context acts in.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The account the resource is in.
    pub fn account_id(&self) -> &str {
        &self.location.account_id
    }

    /// The Region the resource is in.
    pub fn region(&self) -> &str {
        &self.location.region
    }

    /// The partition, for ARNs: `arn:{partition}:...`.
    pub fn partition(&self) -> &str {
        &self.location.partition
    }

    /// The time age gates compare against: the clock, or the instant
    /// [`Context::with_now`] fixed.
    pub fn now(&self) -> soar_core::Timestamp {
        self.now.unwrap_or_else(soar_core::Timestamp::now)
    }

    /// Fixes "now" for age gates, so that a test of a 24-hour gate does
    /// not depend on when it runs.
    pub fn with_now(mut self, now: soar_core::Timestamp) -> Self {
        self.now = Some(now);
        self
    }

    /// The same context with these settings.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Adds an interceptor to every client built from this context.
    pub fn with_interceptor(mut self, interceptor: SharedInterceptor) -> Self {
        self.interceptors.push(interceptor);
        self
    }

    /// The SDK configuration, to build clients for services this crate has
    /// no method for (a user-defined control for another service).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// Waits `delay` with the configuration's sleep (tests inject an
    /// instant one, which records it); `false`, at once, when there is no
    /// sleep to wait with. For waits on AWS's eventual consistency, never
    /// for retrying a failed call: that is the SDK's retry policy.
    pub async fn pause(&self, delay: Duration) -> bool {
        match self.sdk.sleep_impl().or_else(default_async_sleep) {
            Some(sleep) => {
                sleep.sleep(delay).await;
                true
            }
            None => false,
        }
    }

    /// The endpoint other than AWS's own, if one is configured.
    #[cfg(feature = "s3")]
    fn custom_endpoint(&self, service_variable: &str) -> Option<String> {
        std::env::var(service_variable)
            .ok()
            .or_else(|| self.sdk.endpoint_url().map(str::to_owned))
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
    }

    /// Whether an endpoint other than AWS's own is configured.
    #[cfg(feature = "s3")]
    fn has_custom_endpoint(&self, service_variable: &str) -> bool {
        self.custom_endpoint(service_variable).is_some()
    }
}

macro_rules! service_client {
    ([$($feature:literal),+], $method:ident, $krate:ident, $doc:literal $(, $extra:ident)?) => {
        #[cfg(any($(feature = $feature),+))]
        impl Context {
            #[doc = $doc]
            pub fn $method(&self) -> $krate::Client {
                let mut builder = $krate::config::Builder::from(&self.sdk);
                for interceptor in &self.interceptors {
                    builder.push_interceptor(interceptor.clone());
                }
                $(builder = service_client!(@$extra self builder);)?
                $krate::Client::from_conf(builder.build())
            }
        }
    };
    (@path_style $self:ident $builder:ident) => {
        $builder.force_path_style($self.has_custom_endpoint("AWS_ENDPOINT_URL_S3"))
    };
    // S3 Control puts the account ID in front of the host
    // (`123456789012.s3-control...`), which no emulator on 127.0.0.1 resolves.
    (@account_host_off $self:ident $builder:ident) => {
        match $self.custom_endpoint("AWS_ENDPOINT_URL_S3_CONTROL") {
            Some(url) => $builder.endpoint_resolver(AsIsEndpoint(url)),
            None => $builder,
        }
    };
}

service_client!(
    ["s3"],
    s3,
    aws_sdk_s3,
    "An S3 client; path-style when an endpoint is set.",
    path_style
);
service_client!(
    ["s3"],
    s3control,
    aws_sdk_s3control,
    "An S3 Control client (account-level settings); a custom endpoint is used as is.",
    account_host_off
);
service_client!(["kms"], kms, aws_sdk_kms, "A KMS client.");
service_client!(["ecr"], ecr, aws_sdk_ecr, "An ECR client.");
service_client!(
    ["dynamodb"],
    dynamodb,
    aws_sdk_dynamodb,
    "A DynamoDB client."
);
service_client!(["ec2"], ec2, aws_sdk_ec2, "An EC2 client.");
service_client!(
    ["elbv2"],
    elbv2,
    aws_sdk_elasticloadbalancingv2,
    "An Elastic Load Balancing (v2) client."
);
service_client!(["ecs"], ecs, aws_sdk_ecs, "An ECS client.");
service_client!(
    ["ec2", "iam", "rds"],
    iam,
    aws_sdk_iam,
    "An IAM client (EC2.6's flow-logs role, RDS.6's monitoring role, the IAM controls)."
);
service_client!(["rds"], rds, aws_sdk_rds, "An RDS client.");
service_client!(
    ["iam"],
    sts,
    aws_sdk_sts,
    "An STS client: who soar runs as, so that the IAM controls leave its own credentials alone."
);
service_client!(
    ["ec2"],
    logs,
    aws_sdk_cloudwatchlogs,
    "A CloudWatch Logs client (EC2.6's log group)."
);

/// Makes a [`Context`] in the account and Region of each finding, through a
/// [`SessionFactory`]: the caller's own credentials in its own account, a
/// role assumed in any other, and an error naming the account and the
/// reason when neither is possible.
///
/// ```no_run
/// use std::sync::Arc;
/// use soar_core::aws::AssumeRoleSessions;
/// use soar_remediate::{remediate_finding, ContextFactory, Mode, Registry};
///
/// # async fn example(sdk: aws_types::SdkConfig, sts: aws_sdk_sts::Client, finding: soar_asff::Finding) {
/// let sessions = AssumeRoleSessions::new(sdk, sts, Some("SoarRemediation".into()));
/// let contexts = ContextFactory::new(Arc::new(sessions));
/// let report = remediate_finding(&Registry::default(), &contexts, &finding, Mode::Apply).await;
/// println!("{}", report.outcome.name());
/// # }
/// ```
#[derive(Clone)]
pub struct ContextFactory {
    sessions: Arc<dyn SessionFactory>,
    settings: Settings,
    interceptors: Vec<SharedInterceptor>,
}

impl std::fmt::Debug for ContextFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextFactory")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ContextFactory {
    /// Contexts from these sessions, with default settings.
    pub fn new(sessions: Arc<dyn SessionFactory>) -> Self {
        ContextFactory {
            sessions,
            settings: Settings::default(),
            interceptors: Vec::new(),
        }
    }

    /// Every context gets these settings.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Every context gets this interceptor.
    pub fn with_interceptor(mut self, interceptor: SharedInterceptor) -> Self {
        self.interceptors.push(interceptor);
        self
    }

    /// The settings every context gets.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// A context in the account and Region of `finding`'s resource of
    /// `meta.resource_type` (see [`Location::of_finding`]).
    ///
    /// # Errors
    /// [`RemediationError::Location`] when the finding does not say where
    /// the resource is, and [`RemediationError::NoSession`] when that
    /// account cannot be reached. Nothing is done anywhere else instead.
    pub async fn context_for(
        &self,
        finding: &Finding,
        meta: &ControlMeta,
    ) -> Result<Context, RemediationError> {
        let location = Location::of_finding(finding, Some(meta.resource_type))?;
        self.context_at(location).await
    }

    /// A context in `location`, for work that is not one control's: the
    /// containment playbooks of `soar-incident`, a control of your own.
    ///
    /// # Errors
    /// [`RemediationError::NoSession`] when that account cannot be reached.
    pub async fn context_at(&self, location: Location) -> Result<Context, RemediationError> {
        let sdk = self.sessions.config_for(&location).await.map_err(|error| {
            RemediationError::NoSession {
                location: location.clone(),
                reason: error.message,
            }
        })?;
        let mut ctx = Context::new(sdk, location).with_settings(self.settings.clone());
        for interceptor in &self.interceptors {
            ctx = ctx.with_interceptor(interceptor.clone());
        }
        Ok(ctx)
    }
}

/// Resolves every request to one URL, unchanged.
#[cfg(feature = "s3")]
#[derive(Debug)]
struct AsIsEndpoint(String);

#[cfg(feature = "s3")]
impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for AsIsEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        let endpoint = aws_sdk_s3control::config::endpoint::Endpoint::builder()
            .url(self.0.clone())
            .build();
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(endpoint))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location() -> Location {
        Location::new("111111111111", "eu-west-1", "aws")
    }

    #[test]
    fn the_context_region_is_the_locations_whatever_the_configuration_says() {
        let sdk = SdkConfig::builder()
            .region(Region::new("us-east-1"))
            .build();
        let ctx = Context::new(sdk, location());
        assert_eq!(
            ctx.sdk_config().region().map(|r| r.as_ref()),
            Some("eu-west-1")
        );
        assert_eq!(
            (ctx.account_id(), ctx.region(), ctx.partition()),
            ("111111111111", "eu-west-1", "aws")
        );
    }

    #[test]
    fn log_buckets_are_chosen_by_account_and_region_most_specific_first() {
        let mut settings = Settings {
            s3_access_log_bucket: Some("logs-{account_id}-{region}".into()),
            ..Settings::default()
        };
        assert_eq!(
            settings.access_log_bucket(&location()).as_deref(),
            Some("logs-111111111111-eu-west-1")
        );
        settings.s3_access_log_buckets = BTreeMap::from([
            ("*/eu-west-1".to_owned(), "eu-logs".to_owned()),
            ("111111111111/*".to_owned(), "team-logs".to_owned()),
            ("111111111111/eu-west-1".to_owned(), "exact".to_owned()),
        ]);
        assert_eq!(
            settings.access_log_bucket(&location()).as_deref(),
            Some("exact")
        );
        settings
            .s3_access_log_buckets
            .remove("111111111111/eu-west-1");
        assert_eq!(
            settings.access_log_bucket(&location()).as_deref(),
            Some("team-logs")
        );
        let elsewhere = Location::new("222222222222", "eu-west-1", "aws");
        assert_eq!(
            settings.access_log_bucket(&elsewhere).as_deref(),
            Some("eu-logs")
        );
        assert_eq!(Settings::default().access_log_bucket(&elsewhere), None);
    }

    #[test]
    fn verify_delays_double_and_stop_at_the_cap() {
        let settings = Settings {
            verify_delay_ms: 300,
            verify_max_delay_ms: 1_000,
            ..Settings::default()
        };
        let delays: Vec<u128> = (2..=6)
            .map(|read| settings.verify_delay(read).as_millis())
            .collect();
        assert_eq!(delays, [300, 600, 1_000, 1_000, 1_000]);
    }

    #[test]
    fn settings_name_destructive_controls_and_refuse_the_old_flag() {
        let settings: Settings =
            serde_json::from_str(r#"{"destructive_controls": ["S3.10"]}"#).unwrap();
        assert!(settings.destructive_controls.allows("s3.10"));
        let error = serde_json::from_str::<Settings>(r#"{"allow_destructive": true}"#).unwrap_err();
        assert!(error.to_string().contains("unknown field"), "{error}");
    }
}

//! [`Context`]: where a remediation acts and with which settings.

use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_types::SdkConfig;
use serde::{Deserialize, Serialize};

/// Settings of the remediations, with defaults that suit most accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Whether destructive remediations (delete, terminate, release) may run.
    pub allow_destructive: bool,
    /// S3.9: the bucket that receives server access logs.
    pub s3_access_log_bucket: Option<String>,
    /// S3.10: days before noncurrent object versions expire.
    pub s3_noncurrent_version_days: i32,
    /// S3.10 and S3.13: days before incomplete multipart uploads are aborted.
    pub s3_abort_incomplete_upload_days: i32,
    /// ECR.3: how many images a repository keeps.
    pub ecr_keep_images: i32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_destructive: false,
            s3_access_log_bucket: None,
            s3_noncurrent_version_days: 90,
            s3_abort_incomplete_upload_days: 7,
            ecr_keep_images: 30,
        }
    }
}

/// Where a remediation acts: the SDK configuration for the resource's
/// account and Region (from a [`soar_core::aws::SessionFactory`]), and the
/// settings.
///
/// Service clients come from here, so every control gets the same
/// treatment: the endpoint from `AWS_ENDPOINT_URL` or
/// `AWS_ENDPOINT_URL_<SERVICE>` (read by `aws-config` into the
/// configuration), path-style S3 addressing when an endpoint is set (so
/// emulators work), and any interceptors, such as the test kit's operation
/// recorder.
#[derive(Debug, Clone)]
pub struct Context {
    sdk: SdkConfig,
    /// The account the resource is in.
    pub account_id: String,
    /// The remediation settings.
    pub settings: Settings,
    interceptors: Vec<SharedInterceptor>,
}

impl Context {
    /// A context for `account_id`, with default settings.
    pub fn new(sdk: SdkConfig, account_id: impl Into<String>) -> Self {
        Context {
            sdk,
            account_id: account_id.into(),
            settings: Settings::default(),
            interceptors: Vec::new(),
        }
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
    ($feature:literal, $method:ident, $krate:ident, $doc:literal $(, $extra:ident)?) => {
        #[cfg(feature = $feature)]
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
    "s3",
    s3,
    aws_sdk_s3,
    "An S3 client; path-style when an endpoint is set.",
    path_style
);
service_client!(
    "s3",
    s3control,
    aws_sdk_s3control,
    "An S3 Control client (account-level settings); a custom endpoint is used as is.",
    account_host_off
);
service_client!("kms", kms, aws_sdk_kms, "A KMS client.");
service_client!("ecr", ecr, aws_sdk_ecr, "An ECR client.");
service_client!("dynamodb", dynamodb, aws_sdk_dynamodb, "A DynamoDB client.");

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

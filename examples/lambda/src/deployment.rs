//! What a container builds once, at init: the settings, one SDK
//! configuration with the one retry policy, the SDK clients, and the AWS
//! ports on them. Every invocation of a warm container reuses them.

use std::sync::Arc;

use aws_config::SdkConfig;
use soar_core::aws::{
    AssumeRoleSessions, DynamoRecords, OrganizationsDirectory, SecurityHubUpdater,
};
use soar_core::ports::memory::StaticAccounts;
use soar_core::ports::{AccountDirectory, TicketSystem};
use soar_core::scoring::NoModel;
use soar_core::{Pipeline, Ports};
use soar_remediate::{ContextFactory, Registry};

use soar_tickets::credentials::{SecretsManagerSecret, SsmParameter};
use soar_tickets::{Cached, CredentialSource, Credentials};

use soar_ai::bedrock::BedrockModel;
use soar_ai::notify::{SesNotifier, SnsNotifier};
use soar_ai::{Analyst, LanguageModel, OfflineModel, Prompts};
use soar_core::ports::Notifier;

use crate::settings::{LambdaSettings, MailSettings, SettingsError, TicketCredentials};

/// The ports and clients of one container.
pub struct Deployment {
    /// The settings, from the environment.
    pub settings: LambdaSettings,
    /// The SDK configuration every client is built from.
    pub sdk: SdkConfig,
    /// Account data: AWS Organizations, or the configuration's accounts.
    pub accounts: Box<dyn AccountDirectory>,
    /// Security Hub updates.
    pub updater: SecurityHubUpdater,
    /// Tickets, incidents and autoremediations in DynamoDB.
    pub records: DynamoRecords,
    /// The ticket system: Jira, ServiceNow, or none.
    pub tickets: Arc<dyn TicketSystem>,
    /// Sessions in each finding's account and Region, for remediations.
    pub contexts: ContextFactory,
    /// Every remediation compiled in.
    pub registry: Registry,
    /// The AI analysis: Bedrock, or the offline model.
    pub analyst: Analyst,
    /// Where mail goes: SES, SNS, or nowhere.
    pub notifier: Option<Arc<dyn Notifier>>,
}

impl std::fmt::Debug for Deployment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployment")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Deployment {
    /// Reads the environment and builds everything: the default credential
    /// chain and Region, with the retry policy of `SOAR_CONFIG`'s
    /// `aws_retry` for every client.
    ///
    /// # Errors
    /// [`SettingsError`] naming the variable that does not parse.
    pub async fn from_env() -> Result<Self, SettingsError> {
        let settings = LambdaSettings::from_env()?;
        let sdk = load_sdk_config(&settings.config.aws_retry).await;
        Deployment::new(settings, sdk)
    }

    /// Builds the clients and ports from `sdk`. Building a client makes no
    /// call; credentials (AWS's, and the ticket system's from SSM or
    /// Secrets Manager) are read on first use, and then kept.
    ///
    /// # Errors
    /// [`SettingsError`] when the ticket system's settings cannot work
    /// ([`LambdaSettings::from_lookup`] checks them first).
    pub fn new(settings: LambdaSettings, sdk: SdkConfig) -> Result<Self, SettingsError> {
        let credentials: Arc<dyn CredentialSource> = match &settings.ticket_credentials {
            Some(TicketCredentials::SsmParameter(name)) => Arc::new(Cached::new(
                SsmParameter::new(aws_sdk_ssm::Client::new(&sdk), name),
            )),
            Some(TicketCredentials::Secret(id)) => Arc::new(Cached::new(
                SecretsManagerSecret::new(aws_sdk_secretsmanager::Client::new(&sdk), id),
            )),
            // Only the `none` system goes without; it reads none.
            None => Arc::new(Credentials::bearer("")),
        };
        let tickets = settings
            .ticket_system
            .build(settings.config.tickets.system, credentials)
            .map_err(|e| SettingsError {
                variable: "SOAR_TICKET_SYSTEM",
                message: e.to_string(),
            })?;
        let accounts: Box<dyn AccountDirectory> = if settings.organizations {
            Box::new(OrganizationsDirectory::new(
                aws_sdk_organizations::Client::new(&sdk),
            ))
        } else {
            Box::new(StaticAccounts::new(settings.config.accounts.clone()))
        };
        let mut sessions = AssumeRoleSessions::new(
            sdk.clone(),
            aws_sdk_sts::Client::new(&sdk),
            settings.role_name.clone(),
        );
        if let Some(external_id) = &settings.external_id {
            sessions = sessions.external_id(external_id);
        }
        let contexts =
            ContextFactory::new(Arc::new(sessions)).with_settings(settings.remediation.clone());
        // `model_id` "offline": a deployment without Bedrock still gets a
        // structured summary in each message.
        let model: Arc<dyn LanguageModel> = if settings.ai.model_id == "offline" {
            Arc::new(OfflineModel)
        } else {
            Arc::new(BedrockModel::new(
                BedrockModel::client(&sdk, &settings.ai),
                &settings.ai,
            ))
        };
        let analyst = Analyst::new(model, Prompts::builtin(), settings.ai.clone());
        let notifier: Option<Arc<dyn Notifier>> = match &settings.mail {
            Some(MailSettings::Ses { from }) => Some(Arc::new(SesNotifier::new(
                aws_sdk_sesv2::Client::new(&sdk),
                from,
            ))),
            Some(MailSettings::Sns { topic_arn }) => Some(Arc::new(SnsNotifier::new(
                aws_sdk_sns::Client::new(&sdk),
                topic_arn,
            ))),
            None => None,
        };
        Ok(Deployment {
            tickets,
            updater: SecurityHubUpdater::new(aws_sdk_securityhub::Client::new(&sdk)),
            records: DynamoRecords::new(
                aws_sdk_dynamodb::Client::new(&sdk),
                settings.tables.clone(),
            ),
            accounts,
            contexts,
            analyst,
            notifier,
            registry: Registry::default(),
            sdk,
            settings,
        })
    }

    /// The decision pipeline on these ports.
    pub fn pipeline(&self) -> Pipeline<'_> {
        let ports = Ports {
            accounts: self.accounts.as_ref(),
            updater: &self.updater,
            records: &self.records,
            scorer: &NoModel,
            remediable: &self.registry,
        };
        Pipeline::new(&self.settings.config, ports)
    }

    /// The ports of `soar-update`, at `now`.
    pub fn update_ports(&self, now: soar_core::Timestamp) -> crate::handlers::UpdatePorts<'_> {
        crate::handlers::UpdatePorts {
            updater: &self.updater,
            records: &self.records,
            tickets: self.tickets.as_ref(),
            ticketing: &self.settings.config.tickets,
            notifier: self.notifier.as_deref(),
            retention_seconds: i64::from(self.settings.record_retention_days) * 86_400,
            now,
        }
    }
}

/// The SDK configuration of the default credential chain and Region, with
/// `retry` as the one retry policy of every client built from it.
pub async fn load_sdk_config(retry: &soar_core::AwsRetry) -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(retry.retry_config())
        .load()
        .await
}

/// Starts JSON logs through `tracing`, at the level of `RUST_LOG` (`info`
/// by default), without ANSI colours or timestamps (CloudWatch adds its
/// own).
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .init();
}

//! The analysis of one finding: which prompt it needs, what is sent, and
//! what the Scratchpad gets back, AI or not.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use soar_asff::Finding;
use soar_core::tickets::Domain;
use soar_core::{ControlAction, Decision, Scratchpad};

use crate::anonymise::Masker;
use crate::config::AiConfig;
use crate::model::{LanguageModel, ModelError, Prompt};
use crate::prompts::{PromptKind, Prompts};
use crate::text::{html_paragraphs, one_line};

/// The prompt a decided Scratchpad's message needs, if any: an incident
/// (application or infrastructure, by [`Domain::of`]), a ticket closed, a
/// remediation made, or a ticket opened for a team. A suppressed finding,
/// or one soar leaves alone, needs none.
pub fn prompt_kind(pad: &Scratchpad) -> Option<PromptKind> {
    if pad.actions.suppress_finding || pad.actions.terminate_for_reprocessing {
        return None;
    }
    let not_done = pad.actions.autoremediation_not_done;
    match pad.decision? {
        Decision::Incident => Some(match Domain::of(pad) {
            Domain::App => PromptKind::IncidentApp,
            Domain::Infra => PromptKind::IncidentInfra,
        }),
        Decision::CloseTicket => Some(PromptKind::TicketClosed),
        Decision::FailedControl if pad.actions.remediated && !not_done => {
            Some(PromptKind::Autoremediation)
        }
        Decision::FailedControl
            if not_done || pad.control_action == Some(ControlAction::Ticket) =>
        {
            Some(PromptKind::TicketOpened)
        }
        _ => None,
    }
}

/// The finding as the prompt's `finding` slot has it: one `Field: value`
/// line per fact a reader needs, and nothing of the raw JSON that would
/// cost tokens without helping.
pub fn finding_text(finding: &Finding) -> String {
    let mut lines = vec![format!("Title: {}", one_line(&finding.title))];
    if let Some(label) = finding.view().severity_label() {
        lines.push(format!("Severity: {}", label.as_str()));
    }
    lines.push(format!("Description: {}", one_line(&finding.description)));
    if !finding.types().is_empty() {
        lines.push(format!("Types: {}", finding.types().join("; ")));
    }
    if let Some(product) = &finding.product_name {
        lines.push(format!("Product: {product}"));
    }
    if let Some(region) = &finding.region {
        lines.push(format!("Region: {region}"));
    }
    for resource in &finding.resources {
        lines.push(format!(
            "Resource: {} {}",
            resource.resource_type, resource.id
        ));
    }
    if let Some(status) = finding.compliance.as_ref().and_then(|c| c.status) {
        lines.push(format!("Compliance: {}", status.as_str()));
    }
    if let Some(recommendation) = finding
        .remediation
        .as_ref()
        .and_then(|r| r.recommendation.as_ref())
    {
        let text = [&recommendation.text, &recommendation.url]
            .into_iter()
            .flatten()
            .map(|s| one_line(s))
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() {
            lines.push(format!("Remediation: {text}"));
        }
    }
    lines.push(format!(
        "Last observed: {}",
        finding
            .last_observed_at
            .as_deref()
            .unwrap_or(&finding.updated_at)
    ));
    lines.join("\n")
}

/// The slot values of a finding message, before masking.
fn finding_slots(pad: &Scratchpad, config: &AiConfig) -> BTreeMap<&'static str, String> {
    let or_dash = |text: &str| {
        if text.trim().is_empty() {
            "-".to_owned()
        } else {
            text.trim().to_owned()
        }
    };
    // The account's ID (masked) and environment; not its name, which
    // says whose it is.
    let account = match &pad.account.environment {
        Some(environment) => format!("{} ({environment})", pad.account.id),
        None => pad.account.id.clone(),
    };
    let mut decision = pad.decision_reason.clone().unwrap_or_default();
    if let Some(triage) = &pad.triage {
        decision = format!(
            "{decision}{}priority {:.0} of 100{}",
            if decision.is_empty() { "" } else { "; " },
            triage.priority,
            if triage.requires_human_review {
                ", needs human review"
            } else {
                ""
            }
        );
    }
    if let Some(penalty) = pad.penalty_score {
        decision = format!(
            "{decision}{}penalty score {penalty:.1}",
            if decision.is_empty() { "" } else { "; " }
        );
    }
    BTreeMap::from([
        ("finding", finding_text(&pad.finding)),
        ("account", or_dash(&account)),
        (
            "control",
            or_dash(pad.control_id.as_deref().unwrap_or_default()),
        ),
        ("decision", or_dash(&decision)),
        ("actions_taken", or_dash(&pad.messages.actions_taken)),
        ("actions_required", or_dash(&pad.messages.actions_required)),
        ("iac", config.iac_words()),
    ])
}

/// What the analysis of one prompt came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The model replied; the reply with the identifiers put back.
    Analysed {
        /// The model.
        model: String,
        /// The reply, de-anonymised.
        text: String,
    },
    /// The model did not reply in time, or failed: the message goes out
    /// without AI, and says so.
    WithoutAi {
        /// The model.
        model: String,
        /// Why, for the note and the logs.
        reason: String,
    },
}

/// One analysis: what was sent, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    /// Exactly what was sent to the model, anonymised.
    pub prompt: Prompt,
    /// The reply, or why there is none.
    pub outcome: Outcome,
}

impl Analysis {
    /// The text for the message: the reply, or a note that there is none.
    pub fn text(&self) -> String {
        match &self.outcome {
            Outcome::Analysed { text, .. } => text.clone(),
            Outcome::WithoutAi { reason, .. } => {
                format!("No AI analysis: {reason}. This message was written without it.")
            }
        }
    }

    /// Whether the model replied.
    pub fn is_analysed(&self) -> bool {
        matches!(self.outcome, Outcome::Analysed { .. })
    }
}

/// Asks a [`LanguageModel`] about findings and reports, and never waits on
/// it longer than its timeout: whatever the model does (time out, throttle,
/// fail), [`Analyst::ask`] and [`Analyst::annotate`] return, and the message goes out without AI
/// with a note saying why.
///
/// Every prompt is anonymised ([`Masker`]) before it is sent, and the reply
/// de-anonymised with the same mapping.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use soar_ai::{AiConfig, Analyst, OfflineModel, Prompts};
/// use soar_core::{Decision, ControlAction, Scratchpad};
///
/// let finding = soar_asff::Finding::from_str(r#"{
///     "SchemaVersion": "2018-10-08", "Id": "finding-1",
///     "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
///     "GeneratorId": "S3.8", "AwsAccountId": "111122223333",
///     "CreatedAt": "2026-12-01T00:00:00Z", "UpdatedAt": "2026-12-01T00:00:00Z",
///     "Title": "S3 general purpose buckets should block public access",
///     "Description": "Bucket logs-111122223333 is public.",
///     "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::logs-111122223333"}]
/// }"#)?;
/// let mut pad = Scratchpad::new(finding);
/// pad.decision = Some(Decision::FailedControl);
/// pad.control_action = Some(ControlAction::Ticket);
///
/// let analyst = Analyst::new(Arc::new(OfflineModel), Prompts::builtin(), AiConfig::default());
/// let analysis = analyst.annotate(&mut pad).await.expect("a ticket needs a message");
/// // What left the account has no account ID in it; the message has it back.
/// assert!(!analysis.prompt.text.contains("111122223333"));
/// assert!(pad.messages.ai.plaintext.contains("Bucket logs-111122223333 is public."));
/// # Ok::<(), soar_asff::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Analyst {
    model: Arc<dyn LanguageModel>,
    prompts: Prompts,
    config: AiConfig,
}

impl std::fmt::Debug for Analyst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyst")
            .field("model", &self.model.name())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Analyst {
    /// An analyst on `model`, with these templates and settings.
    pub fn new(model: Arc<dyn LanguageModel>, prompts: Prompts, config: AiConfig) -> Self {
        Analyst {
            model,
            prompts,
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &AiConfig {
        &self.config
    }

    /// The model's name.
    pub fn model_name(&self) -> &str {
        self.model.name()
    }

    /// The prompt of `kind` with `values`, masked with `masker`: every
    /// slot value and the system prompt go through the same masker, so an
    /// identifier has one placeholder across them.
    pub fn prompt(
        &self,
        kind: PromptKind,
        values: &BTreeMap<&'static str, String>,
        masker: &mut Masker,
    ) -> Prompt {
        let masked: BTreeMap<&'static str, String> = values
            .iter()
            .map(|(slot, value)| (*slot, masker.mask(value)))
            .collect();
        let system_values = BTreeMap::from([("iac", masker.mask(&self.config.iac_words()))]);
        Prompt {
            kind,
            // A template's own words are masked too: yours may name an
            // account or a bucket.
            system: self
                .prompts
                .render_masked(PromptKind::System, &system_values, masker),
            text: self.prompts.render_masked(kind, &masked, masker),
            slots: masked
                .into_iter()
                .map(|(slot, value)| (slot.to_owned(), value))
                .collect(),
        }
    }

    /// The prompt of `kind` for a Scratchpad, masked, with the masker that
    /// restores the reply. [`annotate`](Self::annotate) takes the kind its
    /// message needs ([`prompt_kind`]); a tool that shows what would be
    /// sent may ask for any.
    pub fn finding_prompt(&self, pad: &Scratchpad, kind: PromptKind) -> (Prompt, Masker) {
        let mut masker = Masker::new();
        let prompt = self.prompt(kind, &finding_slots(pad, &self.config), &mut masker);
        (prompt, masker)
    }

    /// Sends `prompt` and restores the reply with `masker`. Returns within
    /// the configured timeout whatever the model does; with AI turned off,
    /// at once.
    pub async fn ask(&self, prompt: Prompt, masker: &Masker) -> Analysis {
        let model = self.model.name().to_owned();
        if !self.config.enabled {
            return Analysis {
                prompt,
                outcome: Outcome::WithoutAi {
                    model,
                    reason: "AI analysis is turned off".to_owned(),
                },
            };
        }
        let timeout = Duration::from_secs(self.config.timeout_seconds);
        let reply = match tokio::time::timeout(timeout, self.model.complete(&prompt)).await {
            Ok(reply) => reply,
            Err(_) => Err(ModelError::Timeout(timeout)),
        };
        let outcome = match reply {
            Ok(text) if !text.trim().is_empty() => Outcome::Analysed {
                model,
                text: masker.restore(text.trim()),
            },
            Ok(_) => Outcome::WithoutAi {
                reason: ModelError::Empty {
                    model: model.clone(),
                }
                .to_string(),
                model,
            },
            Err(error) => {
                tracing::warn!(model, kind = %prompt.kind, %error, "no AI analysis");
                Outcome::WithoutAi {
                    model,
                    reason: error.to_string(),
                }
            }
        };
        Analysis { prompt, outcome }
    }

    /// Analyses a decided Scratchpad and writes the result into
    /// `messages.ai` (plain text and HTML): the model's analysis, or the
    /// note that there is none. Returns `None`, and leaves the Scratchpad
    /// alone, when its message needs no analysis ([`prompt_kind`]).
    pub async fn annotate(&self, pad: &mut Scratchpad) -> Option<Analysis> {
        let (prompt, masker) = self.finding_prompt(pad, prompt_kind(pad)?);
        let analysis = self.ask(prompt, &masker).await;
        let text = analysis.text();
        pad.messages.ai.html = html_paragraphs(&text);
        pad.messages.ai.plaintext = text;
        Some(analysis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OfflineModel;
    use async_trait::async_trait;
    use soar_core::error_class::ErrorClass;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// A model that answers with what it is told, and keeps what it got.
    struct Scripted {
        reply: Result<String, ModelError>,
        delay: Duration,
        calls: AtomicUsize,
        seen: Mutex<Vec<Prompt>>,
    }

    impl Scripted {
        fn new(reply: Result<String, ModelError>) -> Self {
            Scripted {
                reply,
                delay: Duration::ZERO,
                calls: AtomicUsize::new(0),
                seen: Mutex::new(Vec::new()),
            }
        }
    }

    #[async_trait]
    impl LanguageModel for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }

        async fn complete(&self, prompt: &Prompt) -> Result<String, ModelError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.seen.lock().unwrap().push(prompt.clone());
            tokio::time::sleep(self.delay).await;
            self.reply.clone()
        }
    }

    fn ticketed() -> Scratchpad {
        let mut finding = crate::fixtures::finding();
        finding.description =
            "Security group sg-0a1b2c3d4e5f67890 of 111111111111 allows 0.0.0.0/0; owner ops@example.com".into();
        let mut pad = Scratchpad::new(finding);
        pad.decision = Some(Decision::FailedControl);
        pad.control_action = Some(ControlAction::Ticket);
        pad
    }

    fn analyst(model: Arc<dyn LanguageModel>) -> Analyst {
        Analyst::new(model, Prompts::builtin(), AiConfig::default())
    }

    #[test]
    fn each_decision_gets_its_prompt() {
        let mut pad = ticketed();
        assert_eq!(prompt_kind(&pad), Some(PromptKind::TicketOpened));
        pad.control_action = Some(ControlAction::Remediate);
        assert_eq!(prompt_kind(&pad), None, "not remediated yet");
        pad.actions.remediated = true;
        assert_eq!(prompt_kind(&pad), Some(PromptKind::Autoremediation));
        pad.actions.autoremediation_not_done = true;
        assert_eq!(prompt_kind(&pad), Some(PromptKind::TicketOpened));
        pad.decision = Some(Decision::CloseTicket);
        assert_eq!(prompt_kind(&pad), Some(PromptKind::TicketClosed));
        pad.decision = Some(Decision::Incident);
        assert_eq!(prompt_kind(&pad), Some(PromptKind::IncidentInfra));
        let mut app = crate::fixtures::finding();
        app.product_fields
            .get_or_insert_with(Default::default)
            .insert("soar/domain".into(), "APP".into());
        let mut app = Scratchpad::new(app);
        app.decision = Some(Decision::Incident);
        assert_eq!(prompt_kind(&app), Some(PromptKind::IncidentApp));
        pad.actions.suppress_finding = true;
        assert_eq!(prompt_kind(&pad), None);
        pad.actions.suppress_finding = false;
        pad.decision = Some(Decision::DoNothing);
        assert_eq!(prompt_kind(&pad), None);
    }

    #[tokio::test]
    async fn the_reply_is_restored_and_written_into_the_scratchpad() {
        let model = Arc::new(Scripted::new(Ok(
            "Close <ID_1> in <ACCOUNT_1> & tell <EMAIL_1>.".to_owned(),
        )));
        let mut pad = ticketed();
        let analysis = analyst(model.clone()).annotate(&mut pad).await.unwrap();
        assert_eq!(model.calls.load(Ordering::SeqCst), 1);
        let sent = &model.seen.lock().unwrap()[0];
        assert_eq!(sent, &analysis.prompt);
        for secret in ["111111111111", "0a1b2c3d4e5f67890", "ops@example.com"] {
            assert!(!sent.text.contains(secret), "{secret} was sent");
            assert!(!sent.system.contains(secret));
        }
        assert!(sent.text.contains("sg-<ID_1> of <ACCOUNT_1>"));
        assert_eq!(
            pad.messages.ai.plaintext,
            "Close 0a1b2c3d4e5f67890 in 111111111111 & tell ops@example.com."
        );
        assert_eq!(
            pad.messages.ai.html,
            "<p style=\"margin:0 0 12px 0\">Close 0a1b2c3d4e5f67890 in 111111111111 &amp; tell ops@example.com.</p>"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_model_slower_than_the_timeout_is_not_waited_for() {
        let mut slow = Scripted::new(Ok("too late".to_owned()));
        slow.delay = Duration::from_secs(3_600);
        let mut pad = ticketed();
        let started = tokio::time::Instant::now();
        let analysis = analyst(Arc::new(slow)).annotate(&mut pad).await.unwrap();
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(AiConfig::default().timeout_seconds)
        );
        assert!(!analysis.is_analysed());
        assert_eq!(
            pad.messages.ai.plaintext,
            format!(
                "No AI analysis: the model did not answer within {} s. This message was written without it.",
                AiConfig::default().timeout_seconds
            )
        );
    }

    #[tokio::test]
    async fn a_throttled_or_failing_model_leaves_a_note() {
        for (class, message) in [
            (
                ErrorClass::Throttled,
                "ThrottlingException: Too many requests",
            ),
            (
                ErrorClass::AccessDenied,
                "AccessDeniedException: no access to the model",
            ),
        ] {
            let model = Scripted::new(Err(ModelError::Failed {
                model: "scripted".into(),
                class,
                message: message.into(),
            }));
            let mut pad = ticketed();
            let analysis = analyst(Arc::new(model)).annotate(&mut pad).await.unwrap();
            assert_eq!(
                analysis.outcome,
                Outcome::WithoutAi {
                    model: "scripted".into(),
                    reason: format!("scripted failed ({class}): {message}"),
                }
            );
            assert!(pad.messages.ai.plaintext.contains(message));
        }
        let empty = Scripted::new(Ok("  ".to_owned()));
        let mut pad = ticketed();
        let analysis = analyst(Arc::new(empty)).annotate(&mut pad).await.unwrap();
        assert!(!analysis.is_analysed());
        assert!(pad.messages.ai.plaintext.contains("replied without text"));
    }

    #[tokio::test]
    async fn a_template_of_your_own_is_masked_too() {
        let model = Arc::new(Scripted::new(Ok("ok".to_owned())));
        let mut prompts = Prompts::builtin();
        prompts
            .set(
                PromptKind::TicketOpened,
                "Our payroll account 222233334444 (ops@example.com) matters most.\n{{finding}}",
            )
            .unwrap();
        prompts
            .set(PromptKind::System, "You work for 222233334444.")
            .unwrap();
        let analyst = Analyst::new(model.clone(), prompts, AiConfig::default());
        let mut pad = ticketed();
        analyst.annotate(&mut pad).await.unwrap();
        let sent = &model.seen.lock().unwrap()[0];
        assert!(
            sent.text
                .starts_with("Our payroll account <ACCOUNT_2> (<EMAIL_1>) matters most."),
            "{}",
            sent.text
        );
        assert_eq!(sent.system, "You work for <ACCOUNT_2>.");
    }

    #[tokio::test]
    async fn turned_off_nothing_is_sent() {
        let model = Arc::new(Scripted::new(Ok("x".to_owned())));
        let config = AiConfig {
            enabled: false,
            ..AiConfig::default()
        };
        let analyst = Analyst::new(model.clone(), Prompts::builtin(), config);
        let mut pad = ticketed();
        let analysis = analyst.annotate(&mut pad).await.unwrap();
        assert_eq!(model.calls.load(Ordering::SeqCst), 0);
        assert!(pad.messages.ai.plaintext.contains("turned off"));
        assert!(!analysis.is_analysed());
    }

    #[tokio::test]
    async fn a_suppressed_finding_gets_no_analysis() {
        let model = Arc::new(Scripted::new(Ok("x".to_owned())));
        let mut pad = ticketed();
        pad.actions.suppress_finding = true;
        let before = pad.clone();
        assert!(analyst(model.clone()).annotate(&mut pad).await.is_none());
        assert_eq!(pad, before);
        assert_eq!(model.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_offline_model_writes_a_summary_from_the_finding() {
        let mut pad = ticketed();
        pad.messages.actions_required = "Remove the 0.0.0.0/0 rule.".into();
        let analysis = analyst(Arc::new(OfflineModel))
            .annotate(&mut pad)
            .await
            .unwrap();
        assert!(analysis.is_analysed());
        let text = &pad.messages.ai.plaintext;
        assert!(
            text.contains("Security group sg-0a1b2c3d4e5f67890 of 111111111111 allows 0.0.0.0/0"),
            "{text}"
        );
        assert!(text.contains("To do: Remove the 0.0.0.0/0 rule."), "{text}");
        assert!(text.contains("CloudFormation"), "{text}");
    }
}

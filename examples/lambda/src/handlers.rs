//! The Lambda handlers, as plain async functions of their input and the
//! ports they use, so that tests call them directly with in-memory ports
//! and mocked SDK clients. Each takes and returns the Scratchpad JSON that
//! Step Functions passes between states.

use serde_json::value::RawValue;
use soar_ai::email::{compose, recipients, MessageKind};
use soar_ai::Analyst;
use soar_asff::LazyEvent;
use soar_core::pipeline::workflow_update;
use soar_core::ports::{
    EventRecord, FindingUpdater, Notifier, RecordKind, RecordStore, TicketRecord, TicketSystem,
};
use soar_core::tickets::{Opened, TicketDesk, TicketKind, TicketingConfig};
use soar_core::{ControlAction, Decision, Pipeline, Scratchpad, Timestamp};
use soar_incident::IncidentConfig;
use soar_remediate::{remediate_finding, ContextFactory, Mode, Outcome, Registry};

/// Why a handler failed. Step Functions' `Catch` and `Retry` match on
/// [`HandlerError::name`], so the names are stable and soar's own, not Rust
/// type names.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The input is not what the handler takes.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A port failed in a way the step cannot go on from; Step Functions
    /// retries it, then the execution fails and its alarm fires.
    #[error("{0}")]
    Port(#[from] soar_core::ports::PortError),
    /// Security Hub did not take the workflow update for the finding.
    #[error("Security Hub did not update finding {finding_id}: {reason}")]
    NotUpdated {
        /// The finding.
        finding_id: String,
        /// Security Hub's reason.
        reason: String,
    },
}

impl HandlerError {
    /// The error's name in Step Functions (`errorType`).
    pub fn name(&self) -> &'static str {
        match self {
            HandlerError::InvalidInput(_) => "soar.InvalidInput",
            HandlerError::Port(_) => "soar.PortFailed",
            HandlerError::NotUpdated { .. } => "soar.NotUpdated",
        }
    }
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: error.name().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// `soar-decide`: the decided Scratchpad of the one finding in `input`.
///
/// `input` is a bare ASFF finding (what the processor's `Map` state hands
/// each iteration), an EventBridge event that carries exactly one, or a
/// GuardDuty, CloudTrail, CloudWatch alarm or AWS Health event, which
/// becomes one ([`soar_incident::findings_of`]).
///
/// An incident is classified ([`soar_incident::classify_scratchpad`]):
/// noise (ignored products, IAM Access Analyzer findings about AWS's own
/// roles) is suppressed, and an incident's kind and response join the
/// decision reason.
///
/// # Errors
/// [`HandlerError::InvalidInput`] with the JSON path of what does not parse,
/// and for events with no finding or several (the state machine maps over
/// `detail.findings`, one finding per call).
pub async fn decide(
    input: &RawValue,
    pipeline: &Pipeline<'_>,
    incidents: &IncidentConfig,
) -> Result<Scratchpad, HandlerError> {
    // Security Hub's findings are checked and decided as they came, and
    // written back out as they came, without being built.
    let event = LazyEvent::parse(input.get().as_bytes())
        .map_err(|e| HandlerError::InvalidInput(e.to_string()))?;
    let kind = event.kind();
    // GuardDuty, CloudTrail, alarm and Health events become findings first.
    let mut findings = soar_incident::lazy_findings_of(event)
        .map_err(|e| HandlerError::InvalidInput(e.to_string()))?;
    if findings.len() != 1 {
        return Err(HandlerError::InvalidInput(format!(
            "a {kind} event with {} findings: soar-decide takes one finding",
            findings.len()
        )));
    }
    let finding = findings.remove(0);
    let mut pad = pipeline
        .process(finding)
        .await
        .map_err(|e| HandlerError::InvalidInput(e.to_string()))?;
    soar_incident::classify_scratchpad(&mut pad, incidents);
    tracing::info!(
        finding = %pad.finding.view().id(),
        decision = ?pad.decision,
        control_action = ?pad.control_action,
        reason = pad.decision_reason.as_deref().unwrap_or_default(),
        "decided"
    );
    Ok(pad)
}

/// `soar-remediate`: runs the finding's control in the finding's own
/// account and Region, and writes the outcome into the Scratchpad.
///
/// Never fails for a remediation that did not work: that is
/// `actions.autoremediation_not_done` with the reason in
/// `messages.actions_required`, which routes the finding to a ticket.
pub async fn remediate(
    mut pad: Scratchpad,
    registry: &Registry,
    contexts: &ContextFactory,
) -> Scratchpad {
    let report = remediate_finding(registry, contexts, &pad.finding, Mode::Apply).await;
    tracing::info!(
        finding = %pad.finding.id,
        control = %report.control_id,
        outcome = report.outcome.name(),
        "remediation ran"
    );
    match report.outcome {
        Outcome::Remediated { actions_taken } => {
            pad.actions.remediated = true;
            pad.messages.actions_taken = actions_taken.join(" ");
        }
        Outcome::AlreadyCompliant => {
            pad.actions.remediated = true;
            pad.messages.actions_taken =
                "None: the resource already complies; Security Hub will see it on its next check."
                    .to_owned();
        }
        Outcome::Suppress { reason } => {
            pad.actions.suppress_finding = true;
            append_reason(&mut pad, &reason);
        }
        Outcome::ReconsiderLater { until } => {
            pad.actions.reconsider_later = true;
            append_reason(&mut pad, &format!("reconsider after {until}"));
        }
        Outcome::Ticket { reason } => {
            pad.actions.autoremediation_not_done = true;
            pad.messages.actions_required = reason;
        }
        Outcome::Planned => {}
    }
    pad
}

/// `soar-remediate`, for an incident: classifies it, maps it to ATT&CK and
/// runs its containment playbook in the finding's own account and Region,
/// and records the trail in the Scratchpad
/// ([`soar_incident::PlaybookReport::record`]). With
/// `containment.enabled` off (the default) it only plans, and the plan
/// goes into the ticket as the steps to take by hand.
///
/// Never fails: a containment that is not complete sets
/// `actions.autoremediation_not_done` with what is left in
/// `messages.actions_required`, and the incident is ticketed with it.
pub async fn contain(
    mut pad: Scratchpad,
    incidents: &IncidentConfig,
    contexts: &ContextFactory,
) -> Scratchpad {
    // Off by default, like auto-remediation: then the ticket gets the plan.
    let mode = if incidents.containment.enabled {
        Mode::Apply
    } else {
        Mode::DryRun
    };
    let report = soar_incident::respond(&pad.finding, incidents, contexts, mode).await;
    let outcome = serde_json::to_value(&report.playbook.outcome).unwrap_or_default();
    tracing::info!(
        finding = %pad.finding.id,
        outcome = %outcome["outcome"],
        steps = report.playbook.steps.len(),
        "containment ran"
    );
    if let soar_incident::Classification::Suppress { reason } = &report.classification {
        pad.actions.suppress_finding = true;
        append_reason(&mut pad, reason);
    }
    report.playbook.record(&mut pad);
    pad
}

/// `soar-remediate`: [`contain`] for an incident, [`remediate`] otherwise.
pub async fn act(
    pad: Scratchpad,
    registry: &Registry,
    contexts: &ContextFactory,
    incidents: &IncidentConfig,
) -> Scratchpad {
    // Boxed: the two futures are deep enough together to overflow the
    // compiler's layout query in the binary's async block.
    if pad.decision == Some(Decision::Incident) {
        Box::pin(contain(pad, incidents, contexts)).await
    } else {
        Box::pin(remediate(pad, registry, contexts)).await
    }
}

fn append_reason(pad: &mut Scratchpad, reason: &str) {
    pad.decision_reason = Some(match pad.decision_reason.take() {
        Some(before) => format!("{before}; {reason}"),
        None => reason.to_owned(),
    });
}

/// `soar-analyse`: the AI analysis of the message the finding is about to
/// get (a ticket, an incident, an AUTOFIXED or CLOSED message), written
/// into `messages.ai` for `soar-update`'s ticket and mail.
///
/// Never fails and never waits longer than the analyst's timeout: a model
/// that times out, throttles or fails leaves a note saying so instead
/// ([`Analyst::annotate`]). A Scratchpad whose finding needs no message is
/// passed on as it came.
pub async fn analyse(mut pad: Scratchpad, analyst: &Analyst) -> Scratchpad {
    if let Some(analysis) = analyst.annotate(&mut pad).await {
        tracing::info!(
            finding = %pad.finding.view().id(),
            kind = %analysis.prompt.kind,
            analysed = analysis.is_analysed(),
            masked = analysis.prompt.slots.len(),
            "analysed"
        );
    }
    pad
}

/// Whether the finding needs a person: a failed control that is ticketed, a
/// remediation that did not work, or an incident.
pub fn needs_ticket(pad: &Scratchpad) -> bool {
    if pad.actions.suppress_finding || pad.actions.terminate_for_reprocessing {
        return false;
    }
    pad.actions.autoremediation_not_done
        || pad.decision == Some(Decision::Incident)
        || (pad.decision == Some(Decision::FailedControl)
            && pad.control_action == Some(ControlAction::Ticket))
}

/// What `soar-update` needs besides the Scratchpad.
#[derive(Clone, Copy)]
pub struct UpdatePorts<'a> {
    /// Security Hub.
    pub updater: &'a dyn FindingUpdater,
    /// The tickets and event records.
    pub records: &'a dyn RecordStore,
    /// The ticket system: Jira, ServiceNow, or none.
    pub tickets: &'a dyn TicketSystem,
    /// Routing, SLAs and AUTOFIXED tickets.
    pub ticketing: &'a TicketingConfig,
    /// Where the TEAM FIX, AUTOFIXED, CLOSED and INCIDENT mail goes: SES or
    /// SNS; none, no mail.
    pub notifier: Option<&'a dyn Notifier>,
    /// How long records are kept, in seconds.
    pub retention_seconds: i64,
    /// The time now.
    pub now: Timestamp,
}

/// `soar-update`: records the outcome, and takes each ticket through its
/// life ([`TicketDesk`]). It opens the ticket a finding needs (once: a
/// conditional write keyed by the finding ID, so a repeated step finds the
/// ticket it opened), records a remediation as an AUTOFIXED ticket opened
/// and closed at once (when configured), closes the ticket of a resolved
/// finding or incident, records the incident or autoremediation, and writes
/// the workflow status back to Security Hub: SUPPRESSED, RESOLVED after a
/// remediation, or NOTIFIED with `TicketOpen` and `TicketId`.
///
/// When the ticket system does not take a ticket, nothing is lost: the
/// claim is recorded with the reason, the finding stays NEW (no workflow
/// update), and the next run for it (Security Hub's next update of the
/// finding, or the backlog sweep) opens the ticket.
///
/// # Errors
/// [`HandlerError::Port`] when the record store fails or a ticket cannot
/// be closed, and [`HandlerError::NotUpdated`] when Security Hub refuses
/// the update; Step Functions retries the step, and nothing is lost, since
/// every write is idempotent.
pub async fn update(
    mut pad: Scratchpad,
    ports: UpdatePorts<'_>,
) -> Result<Scratchpad, HandlerError> {
    if pad.actions.terminate_for_reprocessing {
        return Ok(pad);
    }
    let now = ports.now.0;
    let expires_at = now + ports.retention_seconds;
    if let Some(error) = pad.error.take() {
        // A step failed and the state machine caught it: say so in the ticket.
        pad.actions.autoremediation_not_done = true;
        pad.messages.actions_required = if pad.decision == Some(Decision::Incident) {
            format!(
                "The containment failed ({}): {}. Steps may have been taken before it did: see the incident's resource, and contain it by hand.",
                error.error, error.cause
            )
        } else {
            format!(
                "The automatic remediation failed ({}): {}. Please fix it by hand.",
                error.error, error.cause
            )
        };
    }
    let desk = TicketDesk {
        system: ports.tickets,
        records: ports.records,
        config: ports.ticketing,
    };
    let mut ticket_id = None;
    // Whether this run did what the finding's mail tells: opened its
    // ticket, fixed it, closed it. A repeated step finds the ticket open
    // and mails nothing.
    let mut mail = false;
    if needs_ticket(&pad) {
        let opened = desk
            .open(&pad, TicketKind::of(&pad), now, expires_at)
            .await?;
        // After what a containment did, which the ticket must not hide.
        let said = match &opened {
            Opened::New(record) | Opened::Existing(record) => {
                mail = matches!(opened, Opened::New(_));
                ticket_id = Some(record.ticket_id.clone());
                format!("Ticket {} is open.", record.ticket_id)
            }
            Opened::Failed { error, .. } => format!(
                "The ticket could not be opened ({error}); the finding stays NEW, and the next run opens it."
            ),
        };
        pad.messages.add_action_taken(&said);
        pad.db.ticket = Some(opened.record().clone());
    } else if pad.actions.remediated
        && !pad.actions.autoremediation_not_done
        && !pad.actions.suppress_finding
    {
        mail = true;
        if let Some(opened) = desk.autofixed(&pad, now, expires_at).await? {
            let said = match &opened {
                Opened::Failed { error, .. } => {
                    format!("The AUTOFIXED ticket could not be opened ({error}).")
                }
                _ => format!(
                    "AUTOFIXED ticket {} was opened and closed.",
                    opened.record().ticket_id
                ),
            };
            pad.messages.add_action_taken(&said);
            pad.db.ticket = Some(opened.record().clone());
        }
    }
    if pad.decision == Some(Decision::CloseTicket) {
        let open = pad
            .db
            .ticket
            .clone()
            .filter(|t| t.closed_at.is_none())
            .or_else(|| ticket_of_finding(&pad));
        if let Some(ticket) = open {
            let comment = format!(
                "The finding is resolved{}.",
                pad.decision_reason
                    .as_deref()
                    .map(|reason| format!(": {reason}"))
                    .unwrap_or_default()
            );
            let closed = desk.close(&ticket, &comment, now).await?;
            pad.messages.actions_taken = format!("Closed ticket {}.", closed.ticket_id);
            pad.db.ticket = Some(closed);
            mail = true;
        }
    }
    if let Some((table, kind, outcome)) = event_record(&pad) {
        let record = EventRecord {
            finding_id: pad.finding.id.clone(),
            account_id: pad.account.id.clone(),
            kind,
            outcome: outcome.to_owned(),
            penalty_score: pad.penalty_score,
            at: now,
            expires_at,
            severity: pad.finding.view().severity_label(),
        };
        ports.records.put_event(table, &record).await?;
    }
    if let Some(change) = workflow_update(&pad, ticket_id.as_deref()) {
        let report = ports.updater.update(&change).await?;
        if let Some(failed) = report.failed.first() {
            return Err(HandlerError::NotUpdated {
                finding_id: pad.finding.id.clone(),
                reason: format!("{}: {}", failed.code, failed.message),
            });
        }
    }
    // Last, once every write is done: a step that fails before this point
    // is retried by Step Functions, and mails nothing twice.
    if mail {
        if let Some(notifier) = ports.notifier {
            send_mail(&mut pad, notifier, ports.ticketing).await;
        }
    }
    Ok(pad)
}

/// Mails the message of the pad's kind ([`MessageKind::of`]) to the
/// account's team (and, for an incident, the escalation recipients). A
/// mail that cannot be sent does not fail the step, whose ticket and
/// records are written: it is logged, and the Scratchpad says so.
async fn send_mail(pad: &mut Scratchpad, notifier: &dyn Notifier, ticketing: &TicketingConfig) {
    let Some(kind) = MessageKind::of(pad) else {
        return;
    };
    let to = recipients(pad, ticketing);
    if to.is_empty() {
        return;
    }
    let mail = compose(pad, kind, to);
    match notifier.notify(&mail).await {
        Ok(()) => tracing::info!(subject = %mail.subject, to = ?mail.to, "mailed"),
        Err(error) => {
            tracing::warn!(subject = %mail.subject, %error, "mail not sent");
            pad.messages.add_action_taken(&format!(
                "The {} mail could not be sent ({error}).",
                kind.heading()
            ));
        }
    }
}

/// The ticket a resolved finding says it has (`TicketOpen` = `Yes` and
/// `TicketId`, as soar writes them) when the record store has none: a
/// ticket opened before the records were kept, or by another deployment.
fn ticket_of_finding(pad: &Scratchpad) -> Option<TicketRecord> {
    let view = pad.finding.view();
    let open = view.user_defined_field("TicketOpen")?;
    let ticket_id = view.user_defined_field("TicketId")?;
    (open.eq_ignore_ascii_case("yes") && !ticket_id.is_empty()).then(|| TicketRecord {
        ticket_id: ticket_id.to_owned(),
        finding_id: view.id().to_owned(),
        account_id: pad.account.id.clone(),
        ..TicketRecord::default()
    })
}

/// The record a finding leaves, if any: an incident in the incidents table,
/// by its GuardDuty type (what [`soar_incident::history_of`] reads), as
/// `escalated` (containment not complete), `contained` or `ticketed` (no
/// containment: notify or ticket response, or containment off); a
/// remediation in the autoremediations table, by control, as `ticket` or
/// `remediated`.
fn event_record(pad: &Scratchpad) -> Option<(RecordKind, String, &'static str)> {
    let not_done = pad.actions.autoremediation_not_done;
    if pad.decision == Some(Decision::Incident) && !pad.actions.suppress_finding {
        let kind = soar_incident::guardduty_types(&pad.finding)
            .into_iter()
            .next()
            .or_else(|| pad.finding.types().first().cloned())
            .unwrap_or_default();
        let outcome = match (not_done, pad.actions.contained) {
            (true, _) => "escalated",
            (false, true) => "contained",
            (false, false) => "ticketed",
        };
        return Some((RecordKind::Incident, kind, outcome));
    }
    if pad.actions.remediated || not_done {
        let outcome = if not_done { "ticket" } else { "remediated" };
        let kind = pad.control_id.clone().unwrap_or_default();
        return Some((RecordKind::Autoremediation, kind, outcome));
    }
    None
}

/// What `soar-sweep` takes: where the previous page ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SweepRequest {
    /// The `NextToken` of the previous page; none for the first.
    #[serde(default)]
    pub next_token: Option<String>,
}

/// What `soar-sweep` returns: one page of open findings, and where the next
/// one starts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepPage {
    /// The findings of this page, in ASFF.
    pub findings: Vec<soar_asff::Finding>,
    /// The token of the next page; none after the last.
    pub next_token: Option<String>,
}

/// `soar-sweep`: one page of the backlog, the findings that are still open:
/// record state ACTIVE, workflow NEW or NOTIFIED, compliance FAILED. The
/// backlog-sweep state machine runs each through the same pipeline, page
/// after page, so an Organization's whole backlog is one execution.
///
/// # Errors
/// [`HandlerError::Port`] when `GetFindings` fails (after the SDK's
/// retries), and [`HandlerError::InvalidInput`] for a finding the SDK
/// returned without a member ASFF requires.
pub async fn sweep(
    request: SweepRequest,
    client: &aws_sdk_securityhub::Client,
    page_size: i32,
) -> Result<SweepPage, HandlerError> {
    use aws_sdk_securityhub::types::{
        AwsSecurityFindingFilters, StringFilter, StringFilterComparison,
    };
    let equals = |value: &str| {
        StringFilter::builder()
            .comparison(StringFilterComparison::Equals)
            .value(value)
            .build()
    };
    // Values of one attribute are ORed, attributes are ANDed.
    let filters = AwsSecurityFindingFilters::builder()
        .record_state(equals("ACTIVE"))
        .workflow_status(equals("NEW"))
        .workflow_status(equals("NOTIFIED"))
        .compliance_status(equals("FAILED"))
        .build();
    let output = client
        .get_findings()
        .filters(filters)
        .max_results(page_size)
        .set_next_token(request.next_token)
        .send()
        .await
        .map_err(|e| HandlerError::Port(soar_core::aws::port_error("Sweep", "GetFindings", &e)))?;
    let mut findings = Vec::with_capacity(output.findings().len());
    for sdk_finding in output.findings() {
        let converted = soar_asff::sdk::from_sdk(sdk_finding)
            .map_err(|e| HandlerError::InvalidInput(e.to_string()))?;
        if !converted.is_lossless() {
            tracing::warn!(finding = %converted.value.id, unconverted = ?converted.unconverted, "members not carried over");
        }
        findings.push(converted.value);
    }
    // An empty token means the last page, as an absent one does.
    let next_token = output
        .next_token()
        .filter(|token| !token.is_empty())
        .map(str::to_owned);
    tracing::info!(
        findings = findings.len(),
        more = next_token.is_some(),
        "swept a page"
    );
    Ok(SweepPage {
        findings,
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
    use aws_sdk_dynamodb::operation::update_table::UpdateTableOutput;
    use aws_sdk_dynamodb::types::TableDescription;
    use serde_json::{json, Value};
    use soar_asff::{Event, Finding, WorkflowStatus};
    use soar_core::aws::AmbientSessions;
    use soar_core::error_class::ErrorClass;
    use soar_core::ports::memory::{
        MemoryNotifier, MemoryRecords, MemoryTickets, RecordingUpdater, StaticAccounts,
    };
    use soar_core::ports::{NewTicket, PortError, RecordKind, TicketState};
    use soar_core::scoring::NoModel;
    use soar_core::{AccountData, Config, Ports};
    use soar_remediate::testkit::{
        finding_for, mock, test_sdk_config, MockResponseInterceptor, RuleMode, TEST_ACCOUNT,
    };
    use soar_remediate::ContextFactory;

    use super::*;

    /// `value` as the raw JSON a Lambda function receives.
    fn raw(value: &Value) -> Box<RawValue> {
        serde_json::value::to_raw_value(value).unwrap()
    }

    fn fixture(name: &str) -> Value {
        let path = format!("{}/../../testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn remediating() -> Config {
        Config::from_json(
            r#"{"auto_remediation": {"enabled": true, "controls": ["S3.8", "DynamoDB.6"]}}"#,
        )
        .unwrap()
    }

    struct Memory {
        accounts: StaticAccounts,
        updater: RecordingUpdater,
        records: MemoryRecords,
        tickets: MemoryTickets,
        ticketing: TicketingConfig,
        registry: Registry,
        mail: MemoryNotifier,
    }

    impl Memory {
        fn new() -> Self {
            Memory {
                accounts: StaticAccounts::new([AccountData {
                    id: "111111111111".into(),
                    team: Some("payments".into()),
                    ..AccountData::default()
                }]),
                updater: RecordingUpdater::default(),
                records: MemoryRecords::default(),
                tickets: MemoryTickets::default(),
                ticketing: TicketingConfig::default(),
                registry: Registry::default(),
                mail: MemoryNotifier::default(),
            }
        }

        fn pipeline<'a>(&'a self, config: &'a Config) -> Pipeline<'a> {
            Pipeline::new(
                config,
                Ports {
                    accounts: &self.accounts,
                    updater: &self.updater,
                    records: &self.records,
                    scorer: &NoModel,
                    remediable: &self.registry,
                },
            )
        }

        fn update_ports(&self) -> UpdatePorts<'_> {
            UpdatePorts {
                updater: &self.updater,
                records: &self.records,
                tickets: &self.tickets,
                ticketing: &self.ticketing,
                notifier: Some(&self.mail),
                retention_seconds: 86_400,
                now: Timestamp(1_800_000_000),
            }
        }
    }

    #[tokio::test]
    async fn decide_returns_the_decided_scratchpad_of_a_bare_finding() {
        let memory = Memory::new();
        let config = remediating();
        let finding = fixture("asff/securityhub-fsbp-s3-8-failed.json");
        let pad = decide(
            &raw(&finding),
            &memory.pipeline(&config),
            &IncidentConfig::default(),
        )
        .await
        .unwrap();
        assert_eq!(pad.decision, Some(Decision::FailedControl));
        assert_eq!(pad.control_action, Some(ControlAction::Remediate));
        assert_eq!(pad.control_id.as_deref(), Some("S3.8"));
        assert_eq!(pad.account.team.as_deref(), Some("payments"));
        let json = serde_json::to_value(&pad).unwrap();
        assert_eq!(json["control_id"], "S3.8");
        assert_eq!(json["actions"]["remediated"], false);
    }

    #[tokio::test]
    async fn decide_takes_an_event_with_one_finding_and_refuses_more_or_bad_input() {
        let memory = Memory::new();
        let config = Config::default();
        let pipeline = memory.pipeline(&config);
        let one = fixture("eventbridge/securityhub-imported-fsbp-ec2-7.json");
        assert_eq!(
            decide(&raw(&one), &pipeline, &IncidentConfig::default())
                .await
                .unwrap()
                .control_id
                .as_deref(),
            Some("EC2.7")
        );
        let three =
            fixture("eventbridge/securityhub-custom-action-cis120-1-16-three-findings.json");
        let error = decide(&raw(&three), &pipeline, &IncidentConfig::default())
            .await
            .unwrap_err();
        assert_eq!(error.name(), "soar.InvalidInput");
        assert!(error.to_string().contains("3 findings"), "{error}");
        let error = decide(
            &raw(&json!({"SchemaVersion": "2018-10-08", "Id": 5})),
            &pipeline,
            &IncidentConfig::default(),
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("Id"), "{error}");
        let diagnostic = lambda_runtime::Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "soar.InvalidInput");
    }

    #[tokio::test]
    async fn decide_takes_native_guardduty_and_cloudtrail_events_as_incidents() {
        let memory = Memory::new();
        let config = Config::default();
        let pipeline = memory.pipeline(&config);
        for file in [
            "eventbridge/guardduty-finding-backdoor-ec2-cc-activity-dns.json",
            "eventbridge/cloudtrail-console-signin-root.json",
        ] {
            let pad = decide(&raw(&fixture(file)), &pipeline, &IncidentConfig::default())
                .await
                .unwrap();
            assert_eq!(pad.decision, Some(Decision::Incident), "{file}");
            assert!(pad.triage.is_some(), "{file}");
        }
        let pad = decide(
            &raw(&fixture(
                "eventbridge/guardduty-finding-backdoor-ec2-cc-activity-dns.json",
            )),
            &pipeline,
            &IncidentConfig::default(),
        )
        .await
        .unwrap();
        assert!(pad.finding.product_arn.ends_with("product/aws/guardduty"));
        assert_eq!(pad.finding.resources[0].resource_type, "AwsEc2Instance");
    }

    fn table_finding(account: &str) -> Finding {
        let arn = format!("arn:aws:dynamodb:us-east-1:{account}:table/orders");
        let mut finding = finding_for("DynamoDB.6", "AwsDynamoDbTable", &arn);
        finding.aws_account_id = account.to_owned();
        finding
    }

    fn table(protected: bool) -> DescribeTableOutput {
        DescribeTableOutput::builder()
            .table(
                TableDescription::builder()
                    .table_name("orders")
                    .deletion_protection_enabled(protected)
                    .build(),
            )
            .build()
    }

    /// Contexts in the test account whose clients answer from `rules`.
    fn mocked_contexts(rules: &[&soar_remediate::testkit::Rule]) -> ContextFactory {
        let mut mocks = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in rules {
            mocks = mocks.with_rule(rule);
        }
        let sessions = AmbientSessions::new(test_sdk_config(), TEST_ACCOUNT);
        ContextFactory::new(Arc::new(sessions)).with_interceptor(
            aws_smithy_runtime_api::client::interceptors::SharedInterceptor::new(mocks),
        )
    }

    #[tokio::test]
    async fn remediate_fixes_the_resource_and_marks_the_pad_remediated() {
        let describe = mock!(aws_sdk_dynamodb::Client::describe_table)
            .sequence()
            .output(|| table(false))
            .output(|| table(true))
            .build();
        let write = mock!(aws_sdk_dynamodb::Client::update_table)
            .match_requests(|r| {
                r.table_name() == Some("orders") && r.deletion_protection_enabled() == Some(true)
            })
            .then_output(|| UpdateTableOutput::builder().build());
        let contexts = mocked_contexts(&[&describe, &write]);
        let pad = Scratchpad::new(table_finding(TEST_ACCOUNT));
        let pad = remediate(pad, &Registry::default(), &contexts).await;
        assert!(pad.actions.remediated, "{pad:?}");
        assert!(!pad.actions.autoremediation_not_done);
        assert!(
            pad.messages.actions_taken.contains("deletion protection"),
            "{}",
            pad.messages.actions_taken
        );
        assert_eq!(write.num_calls(), 1);
    }

    #[tokio::test]
    async fn remediate_in_an_unreachable_account_routes_to_a_ticket_with_the_reason() {
        let sessions = AmbientSessions::new(test_sdk_config(), TEST_ACCOUNT);
        let contexts = ContextFactory::new(Arc::new(sessions));
        let pad = Scratchpad::new(table_finding("222222222222"));
        let pad = remediate(pad, &Registry::default(), &contexts).await;
        assert!(pad.actions.autoremediation_not_done);
        assert!(!pad.actions.remediated);
        assert!(
            pad.messages
                .actions_required
                .contains("account 222222222222"),
            "{}",
            pad.messages.actions_required
        );
        assert!(needs_ticket(&pad));
    }

    /// The published native GuardDuty finding about an IAM user's key, in
    /// the test account, at HIGH (contain).
    fn iam_incident() -> Scratchpad {
        let mut event = fixture("eventbridge/guardduty-finding-iamuser-tor-ip-caller.json");
        event["account"] = json!(TEST_ACCOUNT);
        event["detail"]["accountId"] = json!(TEST_ACCOUNT);
        event["detail"]["severity"] = json!(8);
        let bytes = serde_json::to_vec(&event).unwrap();
        let event = Event::parse(&bytes).unwrap();
        let mut pad = Scratchpad::new(soar_incident::findings_of(&event).unwrap().remove(0));
        pad.account.id = TEST_ACCOUNT.to_owned();
        pad.decision = Some(Decision::Incident);
        pad
    }

    #[tokio::test]
    async fn an_incident_is_contained_then_ticketed_with_its_trail_and_recorded_by_type() {
        let me = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput::builder()
                .arn("arn:aws:sts::111111111111:assumed-role/SoarRemediation/soar")
                .build()
        });
        let keys = mock!(aws_sdk_iam::Client::list_access_keys)
            .match_requests(|r| r.user_name() == Some("GeneratedFindingUserName"))
            .then_output(|| {
                aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput::builder()
                    .access_key_metadata(
                        aws_sdk_iam::types::AccessKeyMetadata::builder()
                            .access_key_id("GeneratedFindingAccessKeyId")
                            .status(aws_sdk_iam::types::StatusType::Active)
                            .build(),
                    )
                    .build()
                    .unwrap()
            });
        let off = mock!(aws_sdk_iam::Client::update_access_key)
            .match_requests(|r| r.access_key_id() == Some("GeneratedFindingAccessKeyId"))
            .then_output(|| {
                aws_sdk_iam::operation::update_access_key::UpdateAccessKeyOutput::builder().build()
            });
        let policy = mock!(aws_sdk_iam::Client::put_user_policy).then_output(|| {
            aws_sdk_iam::operation::put_user_policy::PutUserPolicyOutput::builder().build()
        });
        let contexts = mocked_contexts(&[&me, &keys, &off, &policy]);
        // Off by default: the plan goes into the ticket, nothing changes.
        let planned = act(
            iam_incident(),
            &Registry::default(),
            &contexts,
            &IncidentConfig::default(),
        )
        .await;
        assert_eq!((off.num_calls(), policy.num_calls()), (0, 0));
        assert!(
            planned
                .messages
                .actions_required
                .contains("Automatic containment is off")
                && planned
                    .messages
                    .actions_required
                    .contains("Deactivate access key GeneratedFindingAccessKeyId"),
            "{}",
            planned.messages.actions_required
        );
        assert!(!planned.actions.contained);
        let enabled = IncidentConfig {
            containment: soar_incident::ContainmentSettings {
                enabled: true,
                ..soar_incident::ContainmentSettings::default()
            },
            ..IncidentConfig::default()
        };
        let pad = act(iam_incident(), &Registry::default(), &contexts, &enabled).await;
        assert_eq!((off.num_calls(), policy.num_calls()), (1, 1));
        assert!(pad.actions.contained);
        assert!(!pad.actions.autoremediation_not_done, "{:?}", pad.messages);
        assert!(pad
            .messages
            .actions_taken
            .starts_with("Deactivated access key GeneratedFindingAccessKeyId"));

        let memory = Memory::new();
        let pad = update(pad, memory.update_ports()).await.unwrap();
        assert!(
            pad.messages
                .actions_taken
                .contains("Deactivated access key")
                && pad.messages.actions_taken.ends_with("is open."),
            "the trail and the ticket: {}",
            pad.messages.actions_taken
        );
        assert_eq!(memory.records.tickets().len(), 1);
        let events = memory.records.events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, RecordKind::Incident);
        assert_eq!(
            (events[0].1.kind.as_str(), events[0].1.outcome.as_str()),
            ("UnauthorizedAccess:IAMUser/TorIPCaller", "contained")
        );
    }

    #[tokio::test]
    async fn an_incident_that_cannot_be_contained_is_ticketed_as_escalated() {
        // No session in the finding's account: nothing is called.
        let sessions = AmbientSessions::new(test_sdk_config(), "222222222222");
        let contexts = ContextFactory::new(Arc::new(sessions));
        let pad = act(
            iam_incident(),
            &Registry::default(),
            &contexts,
            &IncidentConfig::default(),
        )
        .await;
        assert!(!pad.actions.contained);
        assert!(pad.actions.autoremediation_not_done);
        assert!(
            pad.messages
                .actions_required
                .contains("Containment is not complete"),
            "{}",
            pad.messages.actions_required
        );
        let memory = Memory::new();
        update(pad, memory.update_ports()).await.unwrap();
        assert_eq!(memory.records.tickets().len(), 1);
        assert_eq!(memory.records.events()[0].1.outcome, "escalated");
    }

    #[tokio::test]
    async fn decide_suppresses_incident_noise_by_its_classification() {
        let memory = Memory::new();
        let config = Config::default();
        let pipeline = memory.pipeline(&config);
        let ignoring = IncidentConfig {
            ignored_products: vec!["GuardDuty".to_owned()],
            ..IncidentConfig::default()
        };
        let event = fixture("eventbridge/guardduty-finding-backdoor-ec2-cc-activity-dns.json");
        let pad = decide(&raw(&event), &pipeline, &ignoring).await.unwrap();
        assert_eq!(pad.decision, Some(Decision::SuppressFinding));
        assert!(pad.actions.suppress_finding);
        assert!(pad
            .decision_reason
            .as_deref()
            .unwrap()
            .contains("ignored_products"));
        let pad = decide(&raw(&event), &pipeline, &IncidentConfig::default())
            .await
            .unwrap();
        assert!(
            pad.decision_reason
                .as_deref()
                .unwrap()
                .contains("EC2 incident, response notify"),
            "{:?}",
            pad.decision_reason
        );
    }

    fn ticketed_pad() -> Scratchpad {
        let mut pad = Scratchpad::new(finding_for(
            "Lambda.1",
            "AwsLambdaFunction",
            "arn:aws:lambda:us-east-1:111111111111:function:f",
        ));
        pad.decision = Some(Decision::FailedControl);
        pad.control_action = Some(ControlAction::Ticket);
        pad.decision_reason =
            Some("control Lambda.1 fails: no automatic remediation exists for it".into());
        // As decide found it.
        pad.account = AccountData {
            id: "111111111111".into(),
            team: Some("payments".into()),
            ..AccountData::default()
        };
        pad
    }

    fn offline_analyst() -> Analyst {
        Analyst::new(
            std::sync::Arc::new(soar_ai::OfflineModel),
            soar_ai::Prompts::builtin(),
            soar_ai::AiConfig::default(),
        )
    }

    #[tokio::test]
    async fn analyse_writes_the_analysis_that_the_ticket_and_the_mail_carry() {
        let memory = Memory::new();
        let mut pad = ticketed_pad();
        pad.account.team_email = Some("payments@example.com".into());
        let pad = analyse(pad, &offline_analyst()).await;
        assert!(
            pad.messages
                .ai
                .plaintext
                .contains("Why: control Lambda.1 fails"),
            "{}",
            pad.messages.ai.plaintext
        );
        assert!(pad.messages.ai.html.starts_with("<p style="));
        // A repeated step mails once, as it opens one ticket.
        update(pad.clone(), memory.update_ports()).await.unwrap();
        update(pad.clone(), memory.update_ports()).await.unwrap();
        let tickets = memory.tickets.tickets();
        assert!(tickets[0]
            .ticket
            .body
            .contains(&format!("Analysis: {}", pad.messages.ai.plaintext)));
        let sent = memory.mail.sent();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].to, ["payments@example.com"]);
        assert!(
            sent[0].subject.starts_with("TEAM FIX: "),
            "{}",
            sent[0].subject
        );
        assert!(sent[0].subject.ends_with(&format!("({})", tickets[0].id)));
        assert!(sent[0].text.contains(&pad.messages.ai.plaintext));
    }

    #[tokio::test]
    async fn a_suppressed_finding_is_passed_on_unanalysed_and_unmailed() {
        let memory = Memory::new();
        let mut pad = ticketed_pad();
        pad.account.team_email = Some("payments@example.com".into());
        pad.actions.suppress_finding = true;
        let analysed = analyse(pad.clone(), &offline_analyst()).await;
        assert_eq!(analysed, pad);
        update(analysed, memory.update_ports()).await.unwrap();
        assert!(memory.mail.sent().is_empty());
    }

    #[tokio::test]
    async fn a_mail_that_cannot_be_sent_does_not_fail_the_update() {
        struct Refused;
        #[async_trait::async_trait]
        impl Notifier for Refused {
            async fn notify(&self, _: &soar_core::ports::Notification) -> Result<(), PortError> {
                Err(PortError {
                    port: "Notifier",
                    operation: "SendEmail",
                    class: ErrorClass::Other,
                    message: "MessageRejected: Email address is not verified.".into(),
                })
            }
        }
        let memory = Memory::new();
        let mut pad = ticketed_pad();
        pad.account.team_email = Some("payments@example.com".into());
        let ports = UpdatePorts {
            notifier: Some(&Refused),
            ..memory.update_ports()
        };
        let pad = update(pad, ports).await.unwrap();
        assert_eq!(memory.tickets.tickets().len(), 1, "the ticket is open");
        assert!(
            pad.messages
                .actions_taken
                .ends_with("The TEAM FIX mail could not be sent (Notifier.SendEmail failed (other): MessageRejected: Email address is not verified.)."),
            "{}",
            pad.messages.actions_taken
        );
        assert_eq!(memory.updater.updates().len(), 1, "NOTIFIED all the same");
    }

    #[tokio::test]
    async fn update_opens_one_ticket_however_often_it_runs_and_notifies_security_hub() {
        let memory = Memory::new();
        let first = update(ticketed_pad(), memory.update_ports()).await.unwrap();
        let again = update(ticketed_pad(), memory.update_ports()).await.unwrap();
        let tickets = memory.records.tickets();
        assert_eq!(tickets.len(), 1, "{tickets:?}");
        assert_eq!(first.db.ticket, again.db.ticket);
        let ticket_id = tickets[0].ticket_id.clone();
        assert_eq!(ticket_id, "SOAR-1", "the ticket system's ID");
        assert_eq!(tickets[0].expires_at, 1_800_000_000 + 86_400);
        let opened = memory.tickets.tickets();
        assert_eq!(opened.len(), 1, "one ticket in the system: {opened:?}");
        assert_eq!(opened[0].ticket.reference, "SOAR-test");
        assert_eq!(opened[0].ticket.project, "SOAR", "the default project");
        assert!(
            opened[0].ticket.title.starts_with("TEAM FIX: "),
            "{opened:?}"
        );
        assert_eq!(opened[0].ticket.team.as_deref(), Some("payments"));
        let updates = memory.updater.updates();
        assert_eq!(updates.len(), 2);
        for change in updates {
            assert_eq!(change.workflow_status, Some(WorkflowStatus::Notified));
            assert_eq!(change.user_defined_fields.get("TicketId"), Some(&ticket_id));
            assert_eq!(
                change
                    .user_defined_fields
                    .get("TicketOpen")
                    .map(String::as_str),
                Some("Yes")
            );
        }
    }

    #[tokio::test]
    async fn a_caught_remediation_error_becomes_a_ticket_that_says_why() {
        let memory = Memory::new();
        let mut pad: Scratchpad = serde_json::from_value(json!({
            "finding": serde_json::to_value(table_finding(TEST_ACCOUNT)).unwrap(),
            "decision": "failed_control",
            "control_action": "remediate",
            "control_id": "DynamoDB.6",
            "error": {"Error": "States.Timeout", "Cause": "the task timed out"}
        }))
        .unwrap();
        pad.actions.remediated = false;
        let pad = update(pad, memory.update_ports()).await.unwrap();
        assert!(pad.error.is_none());
        assert!(
            pad.messages.actions_required.contains("States.Timeout")
                && pad.messages.actions_required.contains("timed out"),
            "{}",
            pad.messages.actions_required
        );
        assert_eq!(memory.records.tickets().len(), 1);
        assert_eq!(memory.records.events()[0].1.outcome, "ticket");
    }

    #[tokio::test]
    async fn update_resolves_a_remediated_finding_and_records_the_autoremediation() {
        let memory = Memory::new();
        let mut pad = Scratchpad::new(table_finding(TEST_ACCOUNT));
        pad.actions.remediated = true;
        pad.messages.actions_taken = "Turned on deletion protection of table orders.".into();
        update(pad, memory.update_ports()).await.unwrap();
        let updates = memory.updater.updates();
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].workflow_status, Some(WorkflowStatus::Resolved));
        let events = memory.records.events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, RecordKind::Autoremediation);
        assert_eq!(
            (events[0].1.kind.as_str(), events[0].1.outcome.as_str()),
            ("DynamoDB.6", "remediated")
        );
        // The AUTOFIXED ticket: opened and closed at once, never left open.
        let autofixed = memory.tickets.tickets();
        assert_eq!(autofixed.len(), 1, "{autofixed:?}");
        assert!(autofixed[0].ticket.title.starts_with("AUTOFIXED: "));
        assert_eq!(
            autofixed[0].closed.as_deref(),
            Some("soar fixed it: Turned on deletion protection of table orders.")
        );
        let records = memory.records.tickets();
        assert_eq!(records[0].closed_at, Some(1_800_000_000));
    }

    #[tokio::test]
    async fn with_autofixed_tickets_off_a_remediation_opens_none() {
        let mut memory = Memory::new();
        memory.ticketing.autofixed_tickets = false;
        let mut pad = Scratchpad::new(table_finding(TEST_ACCOUNT));
        pad.actions.remediated = true;
        update(pad, memory.update_ports()).await.unwrap();
        assert!(memory.tickets.tickets().is_empty());
        assert!(memory.records.tickets().is_empty());
        assert_eq!(
            memory.updater.updates()[0].workflow_status,
            Some(WorkflowStatus::Resolved)
        );
    }

    /// A ticket system that is down.
    struct Down;

    #[async_trait::async_trait]
    impl TicketSystem for Down {
        async fn open(&self, _ticket: &NewTicket) -> Result<String, PortError> {
            Err(PortError {
                port: "Jira",
                operation: "open",
                class: ErrorClass::Other,
                message: "HTTP 503 Service Unavailable (after 3 attempts)".into(),
            })
        }
        async fn comment(&self, _id: &str, _text: &str) -> Result<(), PortError> {
            Ok(())
        }
        async fn get(&self, _id: &str) -> Result<TicketState, PortError> {
            unreachable!("not called by update")
        }
        async fn close(&self, _id: &str, _comment: &str) -> Result<(), PortError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_ticket_system_that_is_down_leaves_the_finding_new_and_the_claim_recorded() {
        let memory = Memory::new();
        let ports = UpdatePorts {
            tickets: &Down,
            ..memory.update_ports()
        };
        let pad = update(ticketed_pad(), ports).await.unwrap();
        assert!(
            memory.updater.updates().is_empty(),
            "no NOTIFIED: the finding stays NEW"
        );
        let records = memory.records.tickets();
        assert_eq!(records.len(), 1);
        assert!(!records[0].sent, "{records:?}");
        assert!(
            records[0]
                .last_error
                .as_deref()
                .unwrap_or_default()
                .contains("HTTP 503"),
            "{records:?}"
        );
        assert!(
            pad.messages.actions_taken.contains("the next run opens it"),
            "{}",
            pad.messages.actions_taken
        );
        // The next run, with the system back, opens it, once.
        let pad = update(ticketed_pad(), memory.update_ports()).await.unwrap();
        assert_eq!(memory.tickets.tickets().len(), 1);
        assert_eq!(pad.db.ticket.as_ref().map(|t| t.sent), Some(true));
        let updates = memory.updater.updates();
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].workflow_status, Some(WorkflowStatus::Notified));
        assert_eq!(
            updates[0]
                .user_defined_fields
                .get("TicketId")
                .map(String::as_str),
            Some("SOAR-1")
        );
    }

    #[tokio::test]
    async fn a_resolved_finding_closes_the_ticket_it_carries_when_no_record_has_it() {
        let memory = Memory::new();
        let opened = memory
            .tickets
            .open(&NewTicket {
                reference: "SOAR-test".into(),
                ..NewTicket::default()
            })
            .await
            .unwrap();
        let mut finding = ticketed_pad().finding.to_finding();
        finding.user_defined_fields = Some(
            [("TicketOpen", "Yes"), ("TicketId", opened.as_str())]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        );
        let mut pad = Scratchpad::new(finding);
        pad.decision = Some(Decision::CloseTicket);
        pad.decision_reason = Some("the control passes".into());
        let pad = update(pad, memory.update_ports()).await.unwrap();
        assert_eq!(
            memory.tickets.tickets()[0].closed.as_deref(),
            Some("The finding is resolved: the control passes.")
        );
        assert_eq!(pad.messages.actions_taken, "Closed ticket SOAR-1.");
        assert_eq!(memory.records.tickets()[0].closed_at, Some(1_800_000_000));
    }

    #[tokio::test]
    async fn update_suppresses_and_closes_without_opening_tickets() {
        let memory = Memory::new();
        let mut pad = ticketed_pad();
        pad.actions.suppress_finding = true;
        update(pad, memory.update_ports()).await.unwrap();
        assert_eq!(
            memory.updater.updates()[0].workflow_status,
            Some(WorkflowStatus::Suppressed)
        );
        assert!(memory.records.tickets().is_empty());

        let opened = update(ticketed_pad(), memory.update_ports()).await.unwrap();
        let mut resolved = opened.clone();
        resolved.decision = Some(Decision::CloseTicket);
        resolved.control_action = None;
        let closed = update(resolved, memory.update_ports()).await.unwrap();
        assert_eq!(
            closed.db.ticket.as_ref().and_then(|t| t.closed_at),
            Some(1_800_000_000)
        );
        assert_eq!(memory.records.tickets()[0].closed_at, Some(1_800_000_000));
        let in_system = memory.tickets.tickets();
        assert_eq!(in_system.len(), 1);
        assert!(
            in_system[0]
                .closed
                .as_deref()
                .is_some_and(|c| c.starts_with("The finding is resolved")),
            "{in_system:?}"
        );
    }

    #[tokio::test]
    async fn a_finding_security_hub_refuses_is_an_error_step_functions_retries() {
        struct Refusing;
        #[async_trait::async_trait]
        impl FindingUpdater for Refusing {
            async fn update(
                &self,
                update: &soar_core::ports::FindingUpdate,
            ) -> Result<soar_core::ports::BatchReport, soar_core::ports::PortError> {
                Ok(soar_core::ports::BatchReport {
                    processed: vec![],
                    failed: vec![soar_core::ports::FailedFinding {
                        finding: update.findings[0].clone(),
                        code: "FindingNotFound".into(),
                        message: "no such finding".into(),
                    }],
                })
            }
            async fn import(
                &self,
                _findings: &[Finding],
            ) -> Result<soar_core::ports::BatchReport, soar_core::ports::PortError> {
                Ok(soar_core::ports::BatchReport::default())
            }
        }
        let records = MemoryRecords::default();
        let mail = MemoryNotifier::default();
        let ports = UpdatePorts {
            updater: &Refusing,
            records: &records,
            tickets: &soar_core::ports::memory::NoTickets,
            ticketing: &TicketingConfig::default(),
            notifier: Some(&mail),
            retention_seconds: 60,
            now: Timestamp(0),
        };
        let mut pad = ticketed_pad();
        pad.account.team_email = Some("payments@example.com".into());
        let error = update(pad, ports).await.unwrap_err();
        assert_eq!(error.name(), "soar.NotUpdated");
        assert!(error.to_string().contains("FindingNotFound"), "{error}");
        // The step is retried: the mail goes with the run that succeeds.
        assert!(mail.sent().is_empty(), "mailed before the writes were done");
    }

    #[tokio::test]
    async fn sweep_asks_for_open_failed_findings_and_passes_the_page_token() {
        use aws_sdk_securityhub::operation::get_findings::GetFindingsOutput;
        let sdk_finding = soar_asff::sdk::to_sdk(
            &Finding::from_value(fixture("asff/securityhub-fsbp-s3-8-failed.json")).unwrap(),
        )
        .value;
        let page = mock!(aws_sdk_securityhub::Client::get_findings)
            .match_requests(|r| {
                let f = r.filters().unwrap();
                fn values(list: &[aws_sdk_securityhub::types::StringFilter]) -> Vec<&str> {
                    list.iter().filter_map(|s| s.value()).collect()
                }
                r.next_token() == Some("page-2")
                    && r.max_results() == Some(50)
                    && values(f.record_state()) == ["ACTIVE"]
                    && values(f.workflow_status()) == ["NEW", "NOTIFIED"]
                    && values(f.compliance_status()) == ["FAILED"]
            })
            .then_output(move || {
                GetFindingsOutput::builder()
                    .findings(sdk_finding.clone())
                    .next_token("")
                    .build()
            });
        let client = soar_core::testkit::aws_smithy_mocks::mock_client!(
            aws_sdk_securityhub,
            RuleMode::MatchAny,
            [&page]
        );
        let request = SweepRequest {
            next_token: Some("page-2".into()),
        };
        let swept = sweep(request, &client, 50).await.unwrap();
        assert_eq!(swept.findings.len(), 1);
        assert_eq!(swept.findings[0].control_id(), Some("S3.8"));
        assert_eq!(swept.next_token, None, "an empty token ends the sweep");
    }
}

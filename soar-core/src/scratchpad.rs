//! The Scratchpad: the one document every step of the pipeline reads and
//! extends.
//!
//! Step Functions passes it from state to state as JSON, so its shape is a
//! contract with the state machines and with every Lambda handler: the member
//! names here are the names in the state machine's `Choice` conditions
//! (`$.decision`, `$.control_action`, `$.actions.suppress_finding`, ...).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use soar_asff::{Event, LazyFinding};

use crate::account::AccountData;
use crate::decide::{ControlAction, Decision};
use crate::error::Error;
use crate::ports::TicketRecord;
use crate::scoring::Triage;

/// The state of one finding as it moves through the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scratchpad {
    /// The account that owns the finding's resource.
    #[serde(default)]
    pub account: AccountData,
    /// The finding, in full ASFF: kept as the JSON it came in, and built
    /// into a [`soar_asff::Finding`] the first time something dereferences it (see
    /// [`LazyFinding`]). Deciding reads it through
    /// [`LazyFinding::view`], which builds nothing.
    pub finding: LazyFinding,
    /// The finding's control ID ([`soar_asff::Finding::control_id`]), when it has one,
    /// so that state machines can route on `$.control_id`.
    #[serde(default)]
    pub control_id: Option<String>,
    /// The resource's tags, from the finding.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Flags that later states act on.
    #[serde(default)]
    pub actions: Actions,
    /// Text for tickets and mail.
    #[serde(default)]
    pub messages: Messages,
    /// What the record store said about this finding.
    #[serde(default)]
    pub db: Db,
    /// What to do with the finding (see [`crate::decide()`]).
    #[serde(default)]
    pub decision: Option<Decision>,
    /// For a failed control, how it is handled.
    #[serde(default)]
    pub control_action: Option<ControlAction>,
    /// Why, in words a ticket reader understands.
    #[serde(default)]
    pub decision_reason: Option<String>,
    /// The penalty of a failed control or incident.
    #[serde(default)]
    pub penalty_score: Option<f64>,
    /// The triage of an incident.
    #[serde(default)]
    pub triage: Option<Triage>,
    /// The error a state machine's `Catch` put here (`ResultPath: $.error`)
    /// when a step failed, so that the ticket can say why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<StepError>,
}

/// A step's error, as Step Functions' `Catch` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    /// The error's name, such as `soar.PortFailed` or `States.Timeout`.
    #[serde(rename = "Error", default)]
    pub error: String,
    /// What happened, usually JSON with `errorMessage`.
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

/// Flags that later states act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Actions {
    /// Set the finding's workflow to SUPPRESSED.
    pub suppress_finding: bool,
    /// A remediation was attempted and failed: ticket it instead.
    pub autoremediation_not_done: bool,
    /// The remediation fixed the resource (or found it already fixed): the
    /// finding is resolved.
    pub remediated: bool,
    /// Look at the finding again later (for example, a young account).
    pub reconsider_later: bool,
    /// A preprocessor changed or replaced the finding; Security Hub will send
    /// it again, so this run ends here.
    pub terminate_for_reprocessing: bool,
    /// An incident's containment playbook ran to its end (or found the
    /// resource already contained). The incident is still ticketed.
    pub contained: bool,
}

/// Text for tickets and mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Messages {
    /// What soar did.
    pub actions_taken: String,
    /// What a person must do.
    pub actions_required: String,
    /// The AI's analysis, if any.
    pub ai: AiMessages,
}

/// What [`Messages::actions_taken`] says until soar does something.
const NOTHING_TAKEN: &str = "None.";

impl Messages {
    /// Adds what soar did to [`actions_taken`](Self::actions_taken): in
    /// place of the default "None." (or nothing), else after what is there.
    pub fn add_action_taken(&mut self, text: &str) {
        if self.actions_taken.is_empty() || self.actions_taken == NOTHING_TAKEN {
            self.actions_taken = text.to_owned();
        } else {
            self.actions_taken = format!("{} {text}", self.actions_taken);
        }
    }
}

impl Default for Messages {
    fn default() -> Self {
        Messages {
            actions_taken: NOTHING_TAKEN.to_owned(),
            actions_required: "Please update your infrastructural code to prevent this security issue from arising again at the next deployment.".to_owned(),
            ai: AiMessages::default(),
        }
    }
}

/// The AI's analysis, in two renderings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AiMessages {
    /// Plain text.
    pub plaintext: String,
    /// HTML.
    pub html: String,
}

/// What the record store said about this finding.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Db {
    /// The open ticket for the finding, if there is one.
    pub ticket: Option<TicketRecord>,
}

impl Scratchpad {
    /// A fresh scratchpad for one finding: a [`soar_asff::Finding`], or a
    /// [`LazyFinding`], which is not built to make it.
    pub fn new(finding: impl Into<LazyFinding>) -> Self {
        let finding = finding.into();
        let view = finding.view();
        let tags = view
            .primary_resource()
            .and_then(|r| r.tags().cloned())
            .unwrap_or_default();
        let account_id = view.resource_account_id().to_owned();
        let control_id = view.control_id().map(str::to_owned);
        Scratchpad {
            account: AccountData {
                id: account_id,
                ..AccountData::default()
            },
            control_id,
            finding,
            tags,
            actions: Actions::default(),
            messages: Messages::default(),
            db: Db::default(),
            decision: None,
            control_action: None,
            decision_reason: None,
            penalty_score: None,
            triage: None,
            error: None,
        }
    }

    /// One scratchpad per finding in a Security Hub event or bare finding.
    ///
    /// # Errors
    /// [`Error::NoFindings`] for events that carry no ASFF finding (native
    /// GuardDuty, CloudWatch alarms, CloudTrail and AWS Health events are
    /// converted to ASFF first, by `soar_incident::findings_of`).
    pub fn from_event(event: &Event) -> Result<Vec<Self>, Error> {
        let findings = event.findings();
        if findings.is_empty() {
            return Err(Error::NoFindings { kind: event.kind() });
        }
        Ok(findings.iter().cloned().map(Scratchpad::new).collect())
    }

    /// Parses the JSON Step Functions passes between states.
    ///
    /// # Errors
    /// [`Error::Scratchpad`] naming the JSON path that is wrong.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| Error::Scratchpad {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// The JSON Step Functions passes between states.
    ///
    /// # Errors
    /// None in practice; the `Result` is serde's.
    pub fn to_json_pretty(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Scratchpad {
            path: ".".to_owned(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_taken_replace_the_placeholder_then_accumulate() {
        let mut messages = Messages::default();
        messages.add_action_taken("Blocked public access.");
        assert_eq!(messages.actions_taken, "Blocked public access.");
        messages.add_action_taken("Ticket SEC-1 is open.");
        assert_eq!(
            messages.actions_taken,
            "Blocked public access. Ticket SEC-1 is open."
        );
        let mut empty = Messages {
            actions_taken: String::new(),
            ..Messages::default()
        };
        empty.add_action_taken("Done.");
        assert_eq!(empty.actions_taken, "Done.");
    }
}

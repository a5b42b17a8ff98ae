//! The mail soar sends, in plain text and HTML, built from the Scratchpad:
//! TEAM FIX, AUTOFIXED, CLOSED, INCIDENT, and OVERDUE TEAM FIX.
//!
//! The HTML is a single-column table with every style inline, which is
//! what survives Outlook, Gmail and mobile clients: no `<style>` block, no
//! classes, no images, no scripts. Every text from the finding or the
//! model is escaped.

use serde::{Deserialize, Serialize};
use soar_core::ports::Notification;
use soar_core::tickets::{reminder, Overdue, TicketingConfig};
use soar_core::{ControlAction, Decision, Scratchpad};

use crate::text::{escape_html, html_paragraphs};

/// The kinds of mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageKind {
    /// A failed control for the team to fix.
    TeamFix,
    /// A failed control soar fixed.
    Autofixed,
    /// A finding resolved, its ticket closed.
    Closed,
    /// An incident.
    Incident,
    /// A TEAM FIX ticket past its due time.
    OverdueTeamFix,
}

impl MessageKind {
    /// The words that head the subject.
    pub fn heading(self) -> &'static str {
        match self {
            MessageKind::TeamFix => "TEAM FIX",
            MessageKind::Autofixed => "AUTOFIXED",
            MessageKind::Closed => "CLOSED",
            MessageKind::Incident => "INCIDENT",
            MessageKind::OverdueTeamFix => "OVERDUE TEAM FIX",
        }
    }

    /// The colour of the heading's band: red for what needs someone now,
    /// amber for work to do, green for work done.
    fn colour(self) -> &'static str {
        match self {
            MessageKind::Incident | MessageKind::OverdueTeamFix => "#b3261e",
            MessageKind::TeamFix => "#b26a00",
            MessageKind::Autofixed | MessageKind::Closed => "#2e7d32",
        }
    }

    /// The mail a decided Scratchpad needs, if any.
    pub fn of(pad: &Scratchpad) -> Option<MessageKind> {
        if pad.actions.suppress_finding || pad.actions.terminate_for_reprocessing {
            return None;
        }
        let not_done = pad.actions.autoremediation_not_done;
        match pad.decision? {
            Decision::Incident => Some(MessageKind::Incident),
            Decision::CloseTicket => Some(MessageKind::Closed),
            Decision::FailedControl if pad.actions.remediated && !not_done => {
                Some(MessageKind::Autofixed)
            }
            Decision::FailedControl
                if not_done || pad.control_action == Some(ControlAction::Ticket) =>
            {
                Some(MessageKind::TeamFix)
            }
            _ => None,
        }
    }
}

/// One labelled section of a message.
struct Section<'a> {
    label: &'a str,
    text: String,
}

/// The mail of `kind` for a Scratchpad, to `to`: the finding, the account,
/// what soar did, what is left to do, the ticket, and the AI analysis
/// (`messages.ai`) when there is one.
pub fn compose(pad: &Scratchpad, kind: MessageKind, to: Vec<String>) -> Notification {
    let view = pad.finding.view();
    let severity = view.severity_label().map_or("UNKNOWN", |l| l.as_str());
    // Mail is rare next to the findings decided: the finding is built.
    let finding: &soar_asff::Finding = &pad.finding;
    let title = finding.title.clone();
    let ticket = pad.db.ticket.as_ref().map(|t| t.ticket_id.clone());
    let subject = match &ticket {
        Some(id) => format!("{}: {title} ({id})", kind.heading()),
        None => format!("{}: {title} ({})", kind.heading(), pad.account.id),
    };
    let account = match &pad.account.name {
        Some(name) => format!("{} ({name})", pad.account.id),
        None => pad.account.id.clone(),
    };
    let mut facts = vec![("Severity", severity.to_owned()), ("Account", account)];
    if let Some(control) = &pad.control_id {
        facts.push(("Control", control.clone()));
    }
    if let Some(resource) = view.primary_resource() {
        facts.push((
            "Resource",
            format!("{} {}", resource.resource_type(), resource.id()),
        ));
    }
    if let Some(id) = &ticket {
        facts.push(("Ticket", id.clone()));
    }
    let mut sections = vec![Section {
        label: "What was found",
        text: finding.description.trim().to_owned(),
    }];
    if let Some(reason) = pad.decision_reason.as_deref().filter(|r| !r.is_empty()) {
        sections.push(Section {
            label: "Why",
            text: reason.to_owned(),
        });
    }
    sections.push(Section {
        label: "What soar did",
        text: pad.messages.actions_taken.clone(),
    });
    if matches!(kind, MessageKind::TeamFix | MessageKind::Incident) {
        sections.push(Section {
            label: "What you need to do",
            text: pad.messages.actions_required.clone(),
        });
    }
    if !pad.messages.ai.plaintext.trim().is_empty() {
        sections.push(Section {
            label: "Analysis",
            text: pad.messages.ai.plaintext.trim().to_owned(),
        });
    }
    render(kind, subject, &title, &facts, &sections, to)
}

/// The OVERDUE TEAM FIX mail of one overdue ticket: soar-core's
/// [`reminder`] (recipients, subject and text) with its HTML.
pub fn overdue(
    overdue: &Overdue,
    team_email: Option<&str>,
    config: &TicketingConfig,
) -> Option<Notification> {
    let plain = reminder(overdue, team_email, config)?;
    let ticket = &overdue.ticket;
    let facts = vec![
        ("Ticket", ticket.ticket_id.clone()),
        ("Overdue by", format!("{} hours", overdue.hours_overdue)),
        (
            "Severity",
            ticket.severity.map_or("UNKNOWN", |s| s.as_str()).to_owned(),
        ),
        ("Account", ticket.account_id.clone()),
        (
            "Project",
            ticket.project.clone().unwrap_or_else(|| "-".to_owned()),
        ),
    ];
    let sections = [Section {
        label: "What you need to do",
        text: "Please fix it, or tell the security team why it cannot be fixed.".to_owned(),
    }];
    let html = render(
        MessageKind::OverdueTeamFix,
        plain.subject.clone(),
        &ticket.title,
        &facts,
        &sections,
        plain.to.clone(),
    )
    .html;
    Some(Notification { html, ..plain })
}

/// The text and the HTML of a message.
fn render(
    kind: MessageKind,
    subject: String,
    title: &str,
    facts: &[(&str, String)],
    sections: &[Section<'_>],
    to: Vec<String>,
) -> Notification {
    let mut text = format!("{}: {title}\n\n", kind.heading());
    for (label, value) in facts {
        text.push_str(&format!("{label}: {value}\n"));
    }
    for section in sections {
        text.push_str(&format!("\n{}:\n{}\n", section.label, section.text.trim()));
    }
    text.push_str("\n-- \nsoar, the security automation of your AWS Organization\n");

    let cell = "padding:4px 12px 4px 0;font-size:14px;vertical-align:top";
    let rows: String = facts
        .iter()
        .map(|(label, value)| {
            format!(
                "<tr><td style=\"{cell};color:#5f6368;white-space:nowrap\">{}</td><td style=\"{cell};color:#202124\">{}</td></tr>",
                escape_html(label),
                escape_html(value)
            )
        })
        .collect();
    let body: String = sections
        .iter()
        .map(|section| {
            format!(
                "<h2 style=\"margin:20px 0 8px 0;font-size:16px;color:#202124\">{}</h2>\n{}",
                escape_html(section.label),
                html_paragraphs(&section.text)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let html = format!(
        "<!DOCTYPE html>\n<html><body style=\"margin:0;padding:0;background:#f1f3f4\">\n\
<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#f1f3f4\"><tr><td align=\"center\" style=\"padding:16px\">\n\
<table role=\"presentation\" width=\"640\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:640px;background:#ffffff;border:1px solid #dadce0;font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#202124\">\n\
<tr><td style=\"background:{colour};color:#ffffff;padding:12px 16px;font-size:18px;font-weight:bold\">{heading}: {title}</td></tr>\n\
<tr><td style=\"padding:16px\">\n<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\">{rows}</table>\n{body}\n</td></tr>\n\
<tr><td style=\"padding:12px 16px;font-size:12px;color:#5f6368;border-top:1px solid #dadce0\">soar, the security automation of your AWS Organization</td></tr>\n\
</table>\n</td></tr></table>\n</body></html>\n",
        colour = kind.colour(),
        heading = kind.heading(),
        title = escape_html(title),
    );
    Notification {
        to,
        subject,
        text,
        html: Some(html),
    }
}

/// Who a Scratchpad's mail goes to: the account's team address
/// (`soar:team:email`), and for an incident the escalation recipients too.
pub fn recipients(pad: &Scratchpad, config: &TicketingConfig) -> Vec<String> {
    let mut to: Vec<String> = pad.account.team_email.iter().cloned().collect();
    if pad.decision == Some(Decision::Incident) {
        for recipient in &config.escalation_recipients {
            if !to.contains(recipient) {
                to.push(recipient.clone());
            }
        }
    }
    to
}

#[cfg(test)]
mod tests {
    use super::*;
    use soar_core::ports::TicketRecord;

    fn ticketed() -> Scratchpad {
        let mut pad = Scratchpad::new(crate::fixtures::finding());
        pad.decision = Some(Decision::FailedControl);
        pad.control_action = Some(ControlAction::Ticket);
        pad.account.name = Some("payments-prod".into());
        pad.account.team_email = Some("payments@example.com".into());
        pad.messages.actions_required = "Turn on <Block Public Access> & redeploy.".into();
        pad.messages.ai.plaintext = "The bucket is public.\n\nFix it in Terraform.".into();
        pad.db.ticket = Some(TicketRecord {
            ticket_id: "SEC-42".into(),
            ..TicketRecord::default()
        });
        pad
    }

    #[test]
    fn each_decision_gets_its_kind_of_mail() {
        let mut pad = ticketed();
        assert_eq!(MessageKind::of(&pad), Some(MessageKind::TeamFix));
        pad.actions.remediated = true;
        pad.control_action = Some(ControlAction::Remediate);
        assert_eq!(MessageKind::of(&pad), Some(MessageKind::Autofixed));
        pad.decision = Some(Decision::CloseTicket);
        assert_eq!(MessageKind::of(&pad), Some(MessageKind::Closed));
        pad.decision = Some(Decision::Incident);
        assert_eq!(MessageKind::of(&pad), Some(MessageKind::Incident));
        pad.actions.suppress_finding = true;
        assert_eq!(MessageKind::of(&pad), None);
    }

    #[test]
    fn a_team_fix_has_the_facts_the_work_and_the_analysis() {
        let pad = ticketed();
        let mail = compose(
            &pad,
            MessageKind::TeamFix,
            recipients(&pad, &TicketingConfig::default()),
        );
        assert_eq!(mail.to, ["payments@example.com"]);
        assert_eq!(
            mail.subject,
            format!("TEAM FIX: {} (SEC-42)", pad.finding.title)
        );
        let text = &mail.text;
        assert!(text.starts_with(&format!("TEAM FIX: {}\n\nSeverity: HIGH\nAccount: 111111111111 (payments-prod)\nControl: S3.8\n", pad.finding.title)), "{text}");
        assert!(text.contains("Ticket: SEC-42\n"));
        assert!(
            text.contains("\nWhat you need to do:\nTurn on <Block Public Access> & redeploy.\n")
        );
        assert!(text.contains("\nAnalysis:\nThe bucket is public.\n\nFix it in Terraform.\n"));
        let html = mail.html.unwrap();
        assert!(html.contains("Turn on &lt;Block Public Access&gt; &amp; redeploy."));
        assert!(!html.contains("<Block"));
        assert!(html.contains("<p style=\"margin:0 0 12px 0\">Fix it in Terraform.</p>"));
        assert!(
            !html.contains("<style") && !html.contains("class="),
            "styles are inline"
        );
        assert!(html.contains("background:#b26a00"));
    }

    #[test]
    fn an_autofixed_mail_asks_nothing_and_a_mail_without_analysis_has_no_section() {
        let mut pad = ticketed();
        pad.messages.ai.plaintext.clear();
        pad.db.ticket = None;
        let mail = compose(&pad, MessageKind::Autofixed, vec![]);
        assert!(
            mail.subject.starts_with("AUTOFIXED: ") && mail.subject.ends_with("(111111111111)")
        );
        assert!(!mail.text.contains("What you need to do"));
        assert!(!mail.text.contains("Analysis"));
        assert!(mail.html.unwrap().contains("background:#2e7d32"));
    }

    #[test]
    fn an_incident_goes_to_the_escalation_recipients_too() {
        let mut pad = ticketed();
        pad.decision = Some(Decision::Incident);
        let config = TicketingConfig {
            escalation_recipients: vec!["soc@example.com".into(), "payments@example.com".into()],
            ..TicketingConfig::default()
        };
        assert_eq!(
            recipients(&pad, &config),
            ["payments@example.com", "soc@example.com"]
        );
        let mail = compose(&pad, MessageKind::Incident, recipients(&pad, &config));
        assert!(mail.subject.starts_with("INCIDENT: "));
        assert!(mail.text.contains("What you need to do"));
    }

    #[test]
    fn an_overdue_reminder_gets_its_html() {
        let ticket = TicketRecord {
            ticket_id: "SEC-7".into(),
            finding_id: "f-7".into(),
            account_id: "222222222222".into(),
            title: "TEAM FIX: Root <user> has access keys".into(),
            severity: Some(soar_asff::SeverityLabel::Critical),
            project: Some("SEC".into()),
            opened_at: 0,
            due_at: Some(4 * 3_600),
            ..TicketRecord::default()
        };
        let overdue_ticket = Overdue {
            ticket,
            hours_overdue: 26,
            escalated: true,
        };
        let config = TicketingConfig {
            escalation_recipients: vec!["ciso@example.com".into()],
            ..TicketingConfig::default()
        };
        let mail = overdue(&overdue_ticket, Some("team@example.com"), &config).unwrap();
        assert_eq!(mail.to, ["team@example.com", "ciso@example.com"]);
        assert_eq!(
            mail.subject,
            "OVERDUE TEAM FIX: Root <user> has access keys (SEC-7)"
        );
        assert!(mail.text.contains("26 hours past its due time"));
        let html = mail.html.unwrap();
        assert!(html.contains("26 hours"));
        assert!(html.contains("Root &lt;user&gt; has access keys"));
        assert!(overdue(&overdue_ticket, None, &TicketingConfig::default()).is_none());
    }
}

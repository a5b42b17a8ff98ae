//! Two scores: the penalty of a failed control, and the triage priority of a
//! threat event.
//!
//! The **penalty** weighs how bad it is that a control fails in an account:
//! `((normalized severity + 60) / 100)² × environment factor`, where the
//! factor is 1 for development, 2 for staging and 10 for production. It goes
//! from 0.36 (informational, dev) to 25.6 (critical, prod) and is what the
//! weekly report adds up per account and team.
//!
//! The **triage priority** (0..=100) ranks threat events such as GuardDuty
//! findings: a severity weight, plus 0.6 × an optional threat-model score,
//! times a weight for the source. At 80 a human reviews the event; at 90 it is
//! contained automatically. The model score comes from a [`ThreatScorer`],
//! so a SageMaker endpoint, a rules engine or nothing at all can supply it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use soar_asff::{Event, FindingView, SeverityLabel};

/// Environment names, matched without regard to case against the
/// `soar:environment` tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnvironmentNames {
    /// Names of development environments (factor 1).
    pub development: Vec<String>,
    /// Names of staging and test environments (factor 2).
    pub staging: Vec<String>,
    /// Names of production environments (factor 10).
    pub production: Vec<String>,
}

impl Default for EnvironmentNames {
    fn default() -> Self {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        EnvironmentNames {
            development: names(&["DEV", "DEVELOPMENT", "DEVINT", "DI"]),
            staging: names(&[
                "STAGING",
                "STG",
                "PREPROD",
                "PP",
                "TEST",
                "TESTING",
                "QA",
                "UAT",
                "SIT",
                "SYSTEMTEST",
                "INTEGRATION",
            ]),
            production: names(&["PROD", "PRD", "PRODUCTION", "LIVE"]),
        }
    }
}

/// The kind of environment an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentKind {
    /// Development.
    Development,
    /// Staging, test, QA.
    Staging,
    /// Production.
    Production,
    /// Not tagged, or a name in none of the lists.
    Unknown,
}

impl EnvironmentKind {
    /// The penalty multiplier: 1, 2 or 10; 1 when unknown.
    pub fn factor(self) -> f64 {
        match self {
            EnvironmentKind::Development | EnvironmentKind::Unknown => 1.0,
            EnvironmentKind::Staging => 2.0,
            EnvironmentKind::Production => 10.0,
        }
    }
}

impl EnvironmentNames {
    /// Which kind of environment `name` is.
    pub fn classify(&self, name: Option<&str>) -> EnvironmentKind {
        let Some(name) = name.map(str::trim) else {
            return EnvironmentKind::Unknown;
        };
        let listed = |list: &[String]| list.iter().any(|n| n.eq_ignore_ascii_case(name));
        if listed(&self.production) {
            EnvironmentKind::Production
        } else if listed(&self.staging) {
            EnvironmentKind::Staging
        } else if listed(&self.development) {
            EnvironmentKind::Development
        } else {
            EnvironmentKind::Unknown
        }
    }
}

/// The penalty of a failed control: `((normalized + 60) / 100)² × factor`.
///
/// `normalized` is clamped to 0..=100.
///
/// ```
/// use soar_core::scoring::{penalty, EnvironmentKind};
/// assert_eq!(penalty(40, EnvironmentKind::Production), 10.0);
/// assert!((penalty(0, EnvironmentKind::Development) - 0.36).abs() < 1e-12);
/// ```
pub fn penalty(normalized: i32, environment: EnvironmentKind) -> f64 {
    let severity = f64::from(normalized.clamp(0, 100));
    let base = (severity + 60.0) / 100.0;
    base * base * environment.factor()
}

/// Where a threat event came from, for the source weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventSource {
    /// GuardDuty.
    GuardDuty,
    /// Security Hub (any product that reports through it).
    SecurityHub,
    /// CloudTrail.
    CloudTrail,
    /// Anything else.
    Other,
}

/// A threat event reduced to what triage needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedEvent {
    /// Where it came from.
    pub source: EventSource,
    /// How severe the producer says it is.
    pub severity: SeverityLabel,
    /// The producer's type for it, such as a GuardDuty finding type.
    pub event_type: Option<String>,
    /// The account it concerns.
    pub account_id: Option<String>,
}

impl NormalizedEvent {
    /// Normalizes a parsed event. Events with several findings give the
    /// most severe one; events with no severity (CloudTrail) count as low.
    pub fn from_event(event: &Event) -> Self {
        match event {
            Event::GuardDutyFinding(e) => NormalizedEvent {
                source: EventSource::GuardDuty,
                severity: e.detail.severity_label().unwrap_or(SeverityLabel::Low),
                event_type: Some(e.detail.finding_type.clone()),
                account_id: e.detail.account_id.clone().or_else(|| e.account.clone()),
            },
            Event::CloudTrail(e) => NormalizedEvent {
                source: EventSource::CloudTrail,
                severity: SeverityLabel::Low,
                event_type: Some(e.detail.event_name.clone()),
                account_id: e.account.clone(),
            },
            Event::SecurityHubImportedV2(_) | Event::OcsfFinding(_) => {
                let most_severe = event
                    .ocsf_findings()
                    .iter()
                    .max_by_key(|f| f.severity_label().unwrap_or(SeverityLabel::Informational));
                match most_severe {
                    Some(finding) => NormalizedEvent::from_ocsf(finding),
                    None => NormalizedEvent {
                        source: EventSource::Other,
                        severity: SeverityLabel::Informational,
                        event_type: None,
                        account_id: None,
                    },
                }
            }
            _ => {
                let most_severe = event
                    .findings()
                    .iter()
                    .max_by_key(|f| f.severity_label().unwrap_or(SeverityLabel::Informational));
                match most_severe {
                    Some(finding) => NormalizedEvent::from_finding(finding),
                    None => NormalizedEvent {
                        source: EventSource::Other,
                        severity: SeverityLabel::Informational,
                        event_type: None,
                        account_id: None,
                    },
                }
            }
        }
    }

    /// Normalizes one ASFF finding: GuardDuty's by its product ARN, the
    /// others as Security Hub's; no severity counts as informational.
    pub fn from_finding<'a>(finding: impl Into<FindingView<'a>>) -> Self {
        let finding = finding.into();
        NormalizedEvent {
            source: if finding.product_arn().contains("/aws/guardduty") {
                EventSource::GuardDuty
            } else {
                EventSource::SecurityHub
            },
            severity: finding
                .severity_label()
                .unwrap_or(SeverityLabel::Informational),
            event_type: finding.first_type().map(str::to_owned),
            account_id: Some(finding.aws_account_id().to_owned()),
        }
    }
}

impl NormalizedEvent {
    /// Normalizes an OCSF finding of Security Hub: GuardDuty's by its
    /// product ARN, the others as Security Hub's; the severity from
    /// `severity_id`, else the `severity` word, else informational; the type
    /// from `finding_info.types`, the account from `cloud.account`.
    pub fn from_ocsf(finding: &soar_asff::ocsf::Finding) -> Self {
        NormalizedEvent {
            source: if finding.is_from_aws_service("guardduty") {
                EventSource::GuardDuty
            } else {
                EventSource::SecurityHub
            },
            severity: finding
                .severity_label()
                .unwrap_or(SeverityLabel::Informational),
            event_type: finding.types().first().cloned(),
            account_id: finding.account_id().map(str::to_owned),
        }
    }
}

/// Weights and thresholds of the triage priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TriageConfig {
    /// Weight of a CRITICAL event.
    pub critical_weight: f64,
    /// Weight of a HIGH event.
    pub high_weight: f64,
    /// Weight of a MEDIUM event.
    pub medium_weight: f64,
    /// Weight of a LOW event.
    pub low_weight: f64,
    /// Weight of an INFORMATIONAL event.
    pub informational_weight: f64,
    /// Multiplier of the threat-model score (0..=100).
    pub threat_score_factor: f64,
    /// Source weight of GuardDuty.
    pub guardduty_weight: f64,
    /// Source weight of Security Hub.
    pub securityhub_weight: f64,
    /// Source weight of CloudTrail.
    pub cloudtrail_weight: f64,
    /// Source weight of anything else.
    pub other_weight: f64,
    /// From this priority on, a human reviews the event.
    pub human_review_at: f64,
    /// From this priority on, the event is contained automatically.
    pub auto_remediate_at: f64,
}

impl Default for TriageConfig {
    fn default() -> Self {
        TriageConfig {
            critical_weight: 40.0,
            high_weight: 30.0,
            medium_weight: 20.0,
            low_weight: 10.0,
            informational_weight: 0.0,
            threat_score_factor: 0.6,
            guardduty_weight: 1.2,
            securityhub_weight: 1.1,
            cloudtrail_weight: 1.0,
            other_weight: 1.0,
            human_review_at: 80.0,
            auto_remediate_at: 90.0,
        }
    }
}

/// The result of triage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// The priority, 0..=100.
    pub priority: f64,
    /// The model's score, if a scorer gave one.
    pub threat_score: Option<f64>,
    /// Whether a human should review the event.
    pub requires_human_review: bool,
    /// Whether the event may be contained automatically.
    pub auto_remediate: bool,
}

impl TriageConfig {
    fn severity_weight(&self, label: SeverityLabel) -> f64 {
        match label {
            SeverityLabel::Critical => self.critical_weight,
            SeverityLabel::High => self.high_weight,
            SeverityLabel::Medium => self.medium_weight,
            SeverityLabel::Low => self.low_weight,
            _ => self.informational_weight,
        }
    }

    fn source_weight(&self, source: EventSource) -> f64 {
        match source {
            EventSource::GuardDuty => self.guardduty_weight,
            EventSource::SecurityHub => self.securityhub_weight,
            EventSource::CloudTrail => self.cloudtrail_weight,
            EventSource::Other => self.other_weight,
        }
    }

    /// The triage of an event, given an optional threat-model score
    /// (clamped to 0..=100; a non-finite score counts as none).
    pub fn triage(&self, event: &NormalizedEvent, threat_score: Option<f64>) -> Triage {
        let threat_score = threat_score
            .filter(|s| s.is_finite())
            .map(|s| s.clamp(0.0, 100.0));
        let base = self.severity_weight(event.severity)
            + self.threat_score_factor * threat_score.unwrap_or(0.0);
        let raw = base * self.source_weight(event.source);
        let priority = if raw.is_finite() {
            raw.clamp(0.0, 100.0)
        } else {
            0.0
        };
        Triage {
            priority,
            threat_score,
            requires_human_review: priority >= self.human_review_at,
            auto_remediate: priority >= self.auto_remediate_at,
        }
    }
}

/// A model that scores how likely an event is a real threat, 0..=100.
///
/// Returning `None` means "no opinion"; triage then uses the severity and
/// source alone. Implementations must not fail the pipeline: a model that is
/// down returns `None`.
#[async_trait]
pub trait ThreatScorer: Send + Sync {
    /// The score of `event`.
    async fn score(&self, event: &NormalizedEvent) -> Option<f64>;
}

/// A scorer with no model: triage by severity and source alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoModel;

#[async_trait]
impl ThreatScorer for NoModel {
    async fn score(&self, _event: &NormalizedEvent) -> Option<f64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn environment_names_are_case_insensitive_and_configurable() {
        let names = EnvironmentNames::default();
        assert_eq!(names.classify(Some("prod")), EnvironmentKind::Production);
        assert_eq!(names.classify(Some("Uat")), EnvironmentKind::Staging);
        assert_eq!(names.classify(Some("devint")), EnvironmentKind::Development);
        assert_eq!(names.classify(Some("sandbox")), EnvironmentKind::Unknown);
        assert_eq!(names.classify(None), EnvironmentKind::Unknown);
        let custom = EnvironmentNames {
            production: vec!["main".into()],
            ..EnvironmentNames::default()
        };
        assert_eq!(custom.classify(Some("MAIN")), EnvironmentKind::Production);
        assert_eq!(custom.classify(Some("prod")), EnvironmentKind::Unknown);
    }

    #[test]
    fn penalty_matches_the_formula() {
        assert_eq!(penalty(40, EnvironmentKind::Production), 10.0);
        assert_eq!(penalty(90, EnvironmentKind::Staging), 2.0 * 1.5 * 1.5);
        assert_eq!(penalty(70, EnvironmentKind::Unknown), 1.3 * 1.3);
    }

    #[test]
    fn triage_follows_the_weights_and_thresholds() {
        let config = TriageConfig::default();
        let event = NormalizedEvent {
            source: EventSource::GuardDuty,
            severity: SeverityLabel::High,
            event_type: None,
            account_id: None,
        };
        let plain = config.triage(&event, None);
        assert_eq!(plain.priority, 36.0);
        assert!(!plain.requires_human_review);
        let modelled = config.triage(&event, Some(50.0));
        assert!((modelled.priority - 72.0).abs() < 1e-9);
        let strong = config.triage(&event, Some(40.0 / 0.6));
        assert!(
            strong.requires_human_review && !strong.auto_remediate,
            "{strong:?}"
        );
        let certain = config.triage(&event, Some(100.0));
        assert_eq!(certain.priority, 100.0);
        assert!(certain.auto_remediate);
    }

    #[test]
    fn normalizes_guardduty_from_security_hub_as_guardduty() {
        let finding = soar_asff::Finding {
            product_arn: "arn:aws:securityhub:us-east-1::product/aws/guardduty".into(),
            severity: Some(soar_asff::Severity::from_label(SeverityLabel::High)),
            ..soar_asff::Finding::default()
        };
        let event = serde_json::json!({
            "version": "0", "detail-type": "Security Hub Findings - Custom Action",
            "source": "aws.securityhub", "detail": {"findings": [finding]},
        });
        let event = Event::parse(&serde_json::to_vec(&event).unwrap()).unwrap();
        let normalized = NormalizedEvent::from_event(&event);
        assert_eq!(normalized.source, EventSource::GuardDuty);
    }

    fn arb_label() -> impl Strategy<Value = SeverityLabel> {
        proptest::sample::select(SeverityLabel::ALL)
    }

    fn arb_kind() -> impl Strategy<Value = EnvironmentKind> {
        proptest::sample::select(vec![
            EnvironmentKind::Development,
            EnvironmentKind::Staging,
            EnvironmentKind::Production,
            EnvironmentKind::Unknown,
        ])
    }

    fn arb_source() -> impl Strategy<Value = EventSource> {
        proptest::sample::select(vec![
            EventSource::GuardDuty,
            EventSource::SecurityHub,
            EventSource::CloudTrail,
            EventSource::Other,
        ])
    }

    proptest! {
        #[test]
        fn penalty_stays_within_bounds(score in any::<i32>(), kind in arb_kind()) {
            let p = penalty(score, kind);
            prop_assert!((0.36..=25.6 + 1e-9).contains(&p), "{p}");
        }

        #[test]
        fn penalty_grows_with_severity(a in 0i32..=100, b in 0i32..=100, kind in arb_kind()) {
            let (low, high) = (a.min(b), a.max(b));
            prop_assert!(penalty(low, kind) <= penalty(high, kind));
        }

        #[test]
        fn triage_stays_within_bounds(
            label in arb_label(),
            source in arb_source(),
            score in proptest::option::of(any::<f64>()),
        ) {
            let event = NormalizedEvent { source, severity: label, event_type: None, account_id: None };
            let triage = TriageConfig::default().triage(&event, score);
            prop_assert!((0.0..=100.0).contains(&triage.priority));
            prop_assert!(!triage.auto_remediate || triage.requires_human_review);
        }

        #[test]
        fn triage_grows_with_severity(
            a in arb_label(),
            b in arb_label(),
            source in arb_source(),
            score in proptest::option::of(0.0f64..=100.0),
        ) {
            let (low, high) = (a.min(b), a.max(b));
            let config = TriageConfig::default();
            let at = |severity| config.triage(&NormalizedEvent { source, severity, event_type: None, account_id: None }, score).priority;
            prop_assert!(at(low) <= at(high));
        }
    }
}

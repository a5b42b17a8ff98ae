//! Incident handling for soar: what a threat finding is about and how hard
//! to respond ([`classify`]), its MITRE ATT&CK tactic and technique
//! ([`attack_mapping`]), the pattern of the incidents before it
//! ([`history_pattern`]), CloudWatch alarms as findings
//! ([`alarm_finding`]), and every event kind soar parses as one
//! [`SecurityEvent`] and as the findings the pipeline decides on
//! ([`findings_of`]).
//!
//! `soar-core`'s `decide()` says when a finding is an incident (not a
//! control check); this crate says what kind. It has no AWS SDK
//! dependency: the containment playbooks, which do call AWS, build on it.
//!
//! ```
//! use soar_incident::{attack_mapping, classify, Classification, IncidentConfig, IncidentKind};
//!
//! let finding = soar_asff::Finding::from_str(r#"{
//!   "SchemaVersion": "2018-10-08", "Id": "gd-1", "AwsAccountId": "111111111111",
//!   "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
//!   "GeneratorId": "arn:aws:guardduty:us-east-1:111111111111:detector/d",
//!   "Types": ["TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce"],
//!   "CreatedAt": "2026-12-01T00:00:00Z", "UpdatedAt": "2026-12-01T00:00:00Z",
//!   "Severity": {"Label": "HIGH"}, "Title": "t", "Description": "d",
//!   "Resources": [{"Type": "AwsEc2Instance", "Id": "arn:aws:ec2:us-east-1:111111111111:instance/i-1"}]
//! }"#)?;
//! let Classification::Incident { kind, .. } = classify(&finding, &IncidentConfig::default()) else {
//!     panic!("not an incident")
//! };
//! assert_eq!(kind, IncidentKind::Ec2);
//! let mapping = attack_mapping(&finding).expect("a GuardDuty type");
//! assert_eq!((mapping.tactic_id, mapping.technique_id), ("TA0006", Some("T1110")));
//! # Ok::<(), soar_asff::Error>(())
//! ```

#![warn(missing_docs, unreachable_pub)]

mod alarm;
mod attack;
mod classify;
mod event;
mod history;

pub use alarm::{alarm_finding, domain_of_name, severity_of_name, AlarmSkipped};
pub use attack::{
    attack_mapping, map_type, AttackMapping, Basis, Tactic, Technique, KNOWN_TYPES, THREAT_PURPOSES,
};
pub use classify::{
    classify, guardduty_types, kind_of_type, Classification, IncidentConfig, IncidentKind, Response,
};
pub use event::{cloudtrail_severity, findings_of, NoFinding, SecurityEvent};
pub use history::{
    history_of, history_pattern, HistoryPattern, PatternClass, Trend, Window, BASELINE_COUNT,
    DECREASING_MIN_PER_WEEK, FREQUENT_RECENT_COUNT, RECURRING_COUNT, TREND_FACTOR, TREND_MIN_COUNT,
};

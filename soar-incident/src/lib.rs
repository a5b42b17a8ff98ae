//! Incident handling for soar: what a threat finding is about and how hard
//! to respond ([`classify`]), its MITRE ATT&CK tactic and technique
//! ([`attack_mapping`]), the pattern of the incidents before it
//! ([`history_pattern`]), CloudWatch alarms as findings
//! ([`alarm_finding`]), and every event kind soar parses as one
//! [`SecurityEvent`] and as the findings the pipeline decides on
//! ([`findings_of`]).
//!
//! `soar-core`'s `decide()` says when a finding is an incident (not a
//! control check); this crate says what kind, and [`playbook`] contains
//! it: an instance quarantined with its volumes snapshotted, exposed keys
//! deactivated and older sessions revoked, a bucket's public access
//! blocked, each step recorded, and a ticket when a step fails
//! ([`respond`], [`contain`], [`PlaybookReport::record`]).
//!
//! # Features
//!
//! | Feature | Default | What it adds | SDK crates |
//! |---|---|---|---|
//! | `ec2` | yes | the EC2 compromise playbook | aws-sdk-ec2 |
//! | `iam` | yes | the credential exposure playbook | aws-sdk-iam |
//! | `s3` | yes | the S3 exposure playbook (soar-remediate's S3.8) | aws-sdk-s3, aws-sdk-s3control |
//! | `testkit` | no | soar-remediate's mock contexts, to test playbooks offline | |
//!
//! With `default-features = false` the crate has no AWS SDK dependency:
//! classification, ATT&CK mapping, history patterns, alarms and event
//! normalisation are plain functions of their input. The playbooks act
//! through `soar-remediate`'s contexts; [`playbook`] says why.
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
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alarm;
mod attack;
mod classify;
mod event;
mod history;
#[cfg(any(feature = "ec2", feature = "iam", feature = "s3"))]
pub mod playbook;

pub use alarm::{alarm_finding, domain_of_name, severity_of_name, AlarmSkipped};
pub use attack::{
    attack_mapping, map_type, AttackMapping, Basis, Tactic, Technique, KNOWN_TYPES, THREAT_PURPOSES,
};
pub use classify::{
    classify, classify_scratchpad, guardduty_types, kind_of_type, Classification,
    ContainmentSettings, IncidentConfig, IncidentKind, Response,
};
pub use event::{cloudtrail_severity, findings_of, lazy_findings_of, NoFinding, SecurityEvent};
pub use history::{
    history_of, history_pattern, HistoryPattern, PatternClass, Trend, Window, BASELINE_COUNT,
    DECREASING_MIN_PER_WEEK, FREQUENT_RECENT_COUNT, RECURRING_COUNT, TREND_FACTOR, TREND_MIN_COUNT,
};
#[cfg(feature = "iam")]
pub use playbook::revoke_sessions_policy;
#[cfg(any(feature = "ec2", feature = "iam", feature = "s3"))]
pub use playbook::{contain, respond, IncidentReport, PlaybookOutcome, PlaybookReport};

//! GuardDuty finding types to MITRE ATT&CK tactics and techniques.
//!
//! # Source
//!
//! - The finding types and their threat purposes: the Amazon GuardDuty
//!   User Guide, "GuardDuty finding format" (the `ThreatPurpose:
//!   ResourceTypeAffected/ThreatFamilyName` grammar and the list of threat
//!   purposes) and "GuardDuty finding types".
//! - The tactics and techniques: MITRE ATT&CK Enterprise, version 15
//!   (<https://attack.mitre.org/versions/v15/>), the IaaS and Containers
//!   platforms where they exist.
//! - The pairing is soar's: one tactic per threat purpose (the purposes
//!   follow ATT&CK's tactics, and GuardDuty's own ASFF types carry the same
//!   tactic names under `TTPs/`), and, for the types whose technique is
//!   plain from GuardDuty's description of them, that technique. A type
//!   not in [`KNOWN_TYPES`] gets its purpose's tactic and technique, and
//!   says so ([`Basis::ThreatPurpose`]).

use serde::Serialize;
use soar_asff::Finding;

use crate::classify::guardduty_types;

/// An ATT&CK tactic and technique for a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AttackMapping {
    /// The GuardDuty type mapped (`Backdoor:EC2/C&CActivity.B!DNS`).
    #[serde(skip)]
    pub finding_type: &'static str,
    /// The tactic's ID, such as `TA0011`.
    pub tactic_id: &'static str,
    /// The tactic's name, such as `Command and Control`.
    pub tactic: &'static str,
    /// The technique's ID, such as `T1071` or `T1562.008`, when one fits.
    pub technique_id: Option<&'static str>,
    /// The technique's name.
    pub technique: Option<&'static str>,
    /// Whether the type itself, or only its threat purpose, was known.
    pub basis: Basis,
}

/// What a mapping was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The finding type is in the table.
    FindingType,
    /// Only the threat purpose (the part before `:`) is.
    ThreatPurpose,
}

/// An ATT&CK tactic: its ID and name.
pub type Tactic = (&'static str, &'static str);
/// An ATT&CK technique: its ID and name.
pub type Technique = (&'static str, &'static str);

const COMMAND_AND_CONTROL: (&str, &str) = ("TA0011", "Command and Control");
const IMPACT: (&str, &str) = ("TA0040", "Impact");
const DEFENSE_EVASION: (&str, &str) = ("TA0005", "Defense Evasion");
const DISCOVERY: (&str, &str) = ("TA0007", "Discovery");
const EXECUTION: (&str, &str) = ("TA0002", "Execution");
const EXFILTRATION: (&str, &str) = ("TA0010", "Exfiltration");
const INITIAL_ACCESS: (&str, &str) = ("TA0001", "Initial Access");
const PERSISTENCE: (&str, &str) = ("TA0003", "Persistence");
const PRIVILEGE_ESCALATION: (&str, &str) = ("TA0004", "Privilege Escalation");
const RECONNAISSANCE: (&str, &str) = ("TA0043", "Reconnaissance");
const CREDENTIAL_ACCESS: (&str, &str) = ("TA0006", "Credential Access");

/// Each GuardDuty threat purpose: its tactic, and the technique that fits
/// every type of that purpose, if one does.
pub const THREAT_PURPOSES: &[(&str, Tactic, Option<Technique>)] = &[
    (
        "Backdoor",
        COMMAND_AND_CONTROL,
        Some(("T1071", "Application Layer Protocol")),
    ),
    // Unusual activity against a baseline: no technique of its own.
    ("Behavior", DISCOVERY, None),
    (
        "CredentialAccess",
        CREDENTIAL_ACCESS,
        Some(("T1552", "Unsecured Credentials")),
    ),
    (
        "CryptoCurrency",
        IMPACT,
        Some(("T1496", "Resource Hijacking")),
    ),
    (
        "DefenseEvasion",
        DEFENSE_EVASION,
        Some(("T1562", "Impair Defenses")),
    ),
    (
        "Discovery",
        DISCOVERY,
        Some(("T1580", "Cloud Infrastructure Discovery")),
    ),
    (
        "Execution",
        EXECUTION,
        Some(("T1059", "Command and Scripting Interpreter")),
    ),
    (
        "Exfiltration",
        EXFILTRATION,
        Some(("T1537", "Transfer Data to Cloud Account")),
    ),
    ("Impact", IMPACT, None),
    (
        "InitialAccess",
        INITIAL_ACCESS,
        Some(("T1078.004", "Valid Accounts: Cloud Accounts")),
    ),
    // API calls from penetration-testing distributions.
    (
        "PenTest",
        DISCOVERY,
        Some(("T1580", "Cloud Infrastructure Discovery")),
    ),
    (
        "Persistence",
        PERSISTENCE,
        Some(("T1098", "Account Manipulation")),
    ),
    // Policy violations (root credentials used, S3 block public access off).
    ("Policy", DEFENSE_EVASION, None),
    (
        "PrivilegeEscalation",
        PRIVILEGE_ESCALATION,
        Some(("T1078.004", "Valid Accounts: Cloud Accounts")),
    ),
    ("Recon", RECONNAISSANCE, Some(("T1595", "Active Scanning"))),
    (
        "Stealth",
        DEFENSE_EVASION,
        Some(("T1562", "Impair Defenses")),
    ),
    (
        "Trojan",
        COMMAND_AND_CONTROL,
        Some(("T1071", "Application Layer Protocol")),
    ),
    (
        "UnauthorizedAccess",
        INITIAL_ACCESS,
        Some(("T1078.004", "Valid Accounts: Cloud Accounts")),
    ),
];

/// Finding types whose technique differs from their purpose's, or is more
/// precise. Matched by prefix, so that `.Custom`, `.Reputation` and
/// `!DNS` variants of a type share its row.
pub const KNOWN_TYPES: &[(&str, Tactic, Technique)] = &[
    (
        "Backdoor:EC2/DenialOfService",
        IMPACT,
        ("T1498", "Network Denial of Service"),
    ),
    (
        "Backdoor:EC2/Spambot",
        IMPACT,
        ("T1496", "Resource Hijacking"),
    ),
    (
        "CryptoCurrency:EC2/BitcoinTool",
        IMPACT,
        ("T1496", "Resource Hijacking"),
    ),
    (
        "Discovery:Kubernetes/",
        DISCOVERY,
        ("T1613", "Container and Resource Discovery"),
    ),
    (
        "Discovery:S3/",
        DISCOVERY,
        ("T1619", "Cloud Storage Object Discovery"),
    ),
    (
        "Execution:Kubernetes/ExecInKubeSystemPod",
        EXECUTION,
        ("T1609", "Container Administration Command"),
    ),
    (
        "Exfiltration:S3/",
        EXFILTRATION,
        ("T1537", "Transfer Data to Cloud Account"),
    ),
    ("Impact:EC2/", IMPACT, ("T1496", "Resource Hijacking")),
    (
        "Impact:S3/ObjectDeletion",
        IMPACT,
        ("T1485", "Data Destruction"),
    ),
    (
        "Impact:S3/PermissionsModification",
        IMPACT,
        ("T1222", "File and Directory Permissions Modification"),
    ),
    (
        "Persistence:Kubernetes/ContainerWithSensitiveMount",
        PRIVILEGE_ESCALATION,
        ("T1611", "Escape to Host"),
    ),
    (
        "Policy:IAMUser/RootCredentialUsage",
        INITIAL_ACCESS,
        ("T1078.004", "Valid Accounts: Cloud Accounts"),
    ),
    ("Policy:S3/", DEFENSE_EVASION, ("T1562", "Impair Defenses")),
    (
        "PrivilegeEscalation:Kubernetes/PrivilegedContainer",
        PRIVILEGE_ESCALATION,
        ("T1611", "Escape to Host"),
    ),
    (
        "Recon:EC2/Portscan",
        DISCOVERY,
        ("T1046", "Network Service Discovery"),
    ),
    (
        "Recon:IAMUser/",
        DISCOVERY,
        ("T1580", "Cloud Infrastructure Discovery"),
    ),
    (
        "Stealth:IAMUser/CloudTrailLoggingDisabled",
        DEFENSE_EVASION,
        ("T1562.008", "Impair Defenses: Disable or Modify Cloud Logs"),
    ),
    (
        "Stealth:S3/ServerAccessLoggingDisabled",
        DEFENSE_EVASION,
        ("T1562.008", "Impair Defenses: Disable or Modify Cloud Logs"),
    ),
    (
        "Trojan:EC2/DNSDataExfiltration",
        EXFILTRATION,
        ("T1048", "Exfiltration Over Alternative Protocol"),
    ),
    (
        "Trojan:EC2/DropPoint",
        EXFILTRATION,
        ("T1041", "Exfiltration Over C2 Channel"),
    ),
    (
        "UnauthorizedAccess:EC2/MetadataDNSRebind",
        CREDENTIAL_ACCESS,
        (
            "T1552.005",
            "Unsecured Credentials: Cloud Instance Metadata API",
        ),
    ),
    (
        "UnauthorizedAccess:EC2/RDPBruteForce",
        CREDENTIAL_ACCESS,
        ("T1110", "Brute Force"),
    ),
    (
        "UnauthorizedAccess:EC2/SSHBruteForce",
        CREDENTIAL_ACCESS,
        ("T1110", "Brute Force"),
    ),
    (
        "UnauthorizedAccess:EC2/TorClient",
        COMMAND_AND_CONTROL,
        ("T1090.003", "Proxy: Multi-hop Proxy"),
    ),
    (
        "UnauthorizedAccess:EC2/TorRelay",
        COMMAND_AND_CONTROL,
        ("T1090.003", "Proxy: Multi-hop Proxy"),
    ),
    (
        "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration",
        CREDENTIAL_ACCESS,
        (
            "T1552.005",
            "Unsecured Credentials: Cloud Instance Metadata API",
        ),
    ),
    (
        "UnauthorizedAccess:IAMUser/TorIPCaller",
        INITIAL_ACCESS,
        ("T1078.004", "Valid Accounts: Cloud Accounts"),
    ),
];

/// The tactic and technique of one GuardDuty finding type
/// (`Backdoor:EC2/C&CActivity.B!DNS`), or `None` for a threat purpose
/// GuardDuty does not define.
pub fn map_type(finding_type: &str) -> Option<AttackMapping> {
    // The longest matching prefix: a type's own row over its family's.
    let known = KNOWN_TYPES
        .iter()
        .filter(|(prefix, _, _)| finding_type.starts_with(prefix))
        .max_by_key(|(prefix, _, _)| prefix.len());
    if let Some((prefix, (tactic_id, tactic), (technique_id, technique))) = known {
        return Some(AttackMapping {
            finding_type: prefix,
            tactic_id,
            tactic,
            technique_id: Some(technique_id),
            technique: Some(technique),
            basis: Basis::FindingType,
        });
    }
    let purpose = finding_type
        .split_once(':')
        .map_or(finding_type, |(p, _)| p);
    THREAT_PURPOSES
        .iter()
        .find(|(name, _, _)| *name == purpose)
        .map(|(name, (tactic_id, tactic), technique)| AttackMapping {
            finding_type: name,
            tactic_id,
            tactic,
            technique_id: technique.map(|(id, _)| id),
            technique: technique.map(|(_, name)| name),
            basis: Basis::ThreatPurpose,
        })
}

/// The ATT&CK tactic and technique of a GuardDuty finding, from the first
/// of its types that maps; `None` for findings of other products.
pub fn attack_mapping(finding: &Finding) -> Option<AttackMapping> {
    guardduty_types(finding).iter().find_map(|t| map_type(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_type_gets_its_own_technique_and_others_their_purposes() {
        let ssh = map_type("UnauthorizedAccess:EC2/SSHBruteForce").unwrap();
        assert_eq!(
            (ssh.tactic_id, ssh.technique_id, ssh.basis),
            ("TA0006", Some("T1110"), Basis::FindingType)
        );
        let exfil =
            map_type("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS")
                .unwrap();
        assert_eq!(exfil.technique_id, Some("T1552.005"));
        let cc = map_type("Backdoor:EC2/C&CActivity.B!DNS").unwrap();
        assert_eq!(
            (cc.tactic, cc.technique_id, cc.basis),
            ("Command and Control", Some("T1071"), Basis::ThreatPurpose)
        );
        let baseline = map_type("Behavior:EC2/NetworkPortUnusual").unwrap();
        assert_eq!(
            (baseline.tactic_id, baseline.technique_id),
            ("TA0007", None)
        );
        assert_eq!(map_type("Unheard:EC2/Thing"), None);
    }

    #[test]
    fn every_row_is_well_formed() {
        let tactic_ok =
            |(id, name): (&str, &str)| id.starts_with("TA") && id.len() == 6 && !name.is_empty();
        let technique_ok = |(id, name): (&str, &str)| {
            let (base, sub) = id.split_once('.').map_or((id, None), |(b, s)| (b, Some(s)));
            base.starts_with('T')
                && base.len() == 5
                && sub.is_none_or(|s| s.len() == 3)
                && !name.is_empty()
        };
        for (purpose, tactic, technique) in THREAT_PURPOSES {
            assert!(
                tactic_ok(*tactic) && technique.is_none_or(technique_ok),
                "{purpose}"
            );
        }
        for (prefix, tactic, technique) in KNOWN_TYPES {
            let purpose = prefix.split_once(':').unwrap().0;
            assert!(
                THREAT_PURPOSES.iter().any(|(p, _, _)| *p == purpose),
                "{prefix}: unknown purpose"
            );
            assert!(tactic_ok(*tactic) && technique_ok(*technique), "{prefix}");
        }
        let mut prefixes: Vec<&str> = KNOWN_TYPES.iter().map(|(p, _, _)| *p).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        assert_eq!(prefixes.len(), KNOWN_TYPES.len(), "a type is listed twice");
    }
}

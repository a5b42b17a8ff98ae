//! Conversions to and from the AWS SDK's `AwsSecurityFinding`, and the
//! batches that `BatchUpdateFindings` and `BatchImportFindings` take.
//!
//! The SDK models ASFF with a struct per resource kind (hundreds of them)
//! and cannot read or write JSON itself, so converting is member by member.
//! Every member typed in this crate converts, except resource `Details`,
//! where only `Other` does. Whatever does not convert is not dropped
//! silently: it is listed, by JSON path, in [`Converted::unconverted`], so
//! the caller decides whether a lossy import is acceptable.
//!
//! ```
//! use soar_asff::{sdk, Finding};
//!
//! # let json = r#"{"SchemaVersion":"2018-10-08","Id":"f-1","ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/securityhub",
//! #   "GeneratorId":"security-control/S3.2","AwsAccountId":"111122223333","Types":[],"CreatedAt":"2026-01-01T00:00:00Z",
//! #   "UpdatedAt":"2026-01-01T00:00:00Z","Severity":{"Label":"HIGH"},"Title":"t","Description":"d",
//! #   "Resources":[{"Type":"AwsS3Bucket","Id":"arn:aws:s3:::b","Details":{"AwsS3Bucket":{"Name":"b"}}}]}"#;
//! let finding = Finding::from_str(json)?;
//!
//! // BatchUpdateFindings takes identifiers, at most 100 per call.
//! let batches = sdk::update_batches([&finding]);
//! assert_eq!(batches[0][0].id(), Some("f-1"));
//!
//! // BatchImportFindings takes whole findings; see what would not carry over.
//! let import = sdk::import_batches([&finding]);
//! assert_eq!(import.unconverted, ["[0].Resources[0].Details.AwsS3Bucket"]);
//! # Ok::<(), soar_asff::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};

use aws_sdk_securityhub::types as sdk;

use crate::object::Extra;
use crate::{
    Compliance, Error, Finding, FindingProviderFields, Malware, Network, Note, Process,
    RelatedFinding, Remediation, Resource, ResourceDetails, Severity, Threat, ThreatIntelIndicator,
};

/// The most findings `BatchUpdateFindings` and `BatchImportFindings` take in one call.
pub const BATCH_LIMIT: usize = 100;

/// A converted value, and the JSON paths of the members that did not convert.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted<T> {
    /// The result of the conversion.
    pub value: T,
    /// Members of the input that the result does not carry, as JSON paths.
    pub unconverted: Vec<String>,
}

impl<T> Converted<T> {
    /// Whether every member converted.
    pub fn is_lossless(&self) -> bool {
        self.unconverted.is_empty()
    }
}

/// The identifier `BatchUpdateFindings` uses for a finding.
pub fn identifier(finding: &Finding) -> sdk::AwsSecurityFindingIdentifier {
    sdk::AwsSecurityFindingIdentifier::builder()
        .id(&finding.id)
        .product_arn(&finding.product_arn)
        .build()
}

/// Identifiers for `BatchUpdateFindings`, in batches of at most [`BATCH_LIMIT`].
pub fn update_batches<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
) -> Vec<Vec<sdk::AwsSecurityFindingIdentifier>> {
    let identifiers: Vec<_> = findings.into_iter().map(identifier).collect();
    identifiers.chunks(BATCH_LIMIT).map(<[_]>::to_vec).collect()
}

/// Findings for `BatchImportFindings`, in batches of at most [`BATCH_LIMIT`].
///
/// Unconverted paths start with the finding's index in the input, such as
/// `[3].Resources[0].Details.AwsS3Bucket`.
pub fn import_batches<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
) -> Converted<Vec<Vec<sdk::AwsSecurityFinding>>> {
    let mut unconverted = Vec::new();
    let mut converted = Vec::new();
    for (index, finding) in findings.into_iter().enumerate() {
        let one = to_sdk(finding);
        unconverted.extend(
            one.unconverted
                .into_iter()
                .map(|path| format!("[{index}].{path}")),
        );
        converted.push(one.value);
    }
    Converted {
        value: converted.chunks(BATCH_LIMIT).map(<[_]>::to_vec).collect(),
        unconverted,
    }
}

/// Converts a finding to the SDK's type.
pub fn to_sdk(finding: &Finding) -> Converted<sdk::AwsSecurityFinding> {
    let mut lost = Lost::default();
    lost.extra("", &finding.extra);
    let f = finding;
    let value = sdk::AwsSecurityFinding::builder()
        .schema_version(&f.schema_version)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .set_product_name(f.product_name.clone())
        .set_company_name(f.company_name.clone())
        .set_region(f.region.clone())
        .generator_id(&f.generator_id)
        .aws_account_id(&f.aws_account_id)
        .set_types(f.types.clone())
        .set_first_observed_at(f.first_observed_at.clone())
        .set_last_observed_at(f.last_observed_at.clone())
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .set_severity(
            f.severity
                .as_ref()
                .map(|severity| severity_to_sdk(severity, "Severity", &mut lost)),
        )
        .set_confidence(f.confidence)
        .set_criticality(f.criticality)
        .title(&f.title)
        .description(&f.description)
        .set_remediation(
            f.remediation
                .as_ref()
                .map(|r| remediation_to_sdk(r, &mut lost)),
        )
        .set_source_url(f.source_url.clone())
        .set_product_fields(f.product_fields.as_ref().map(hash_map))
        .set_user_defined_fields(f.user_defined_fields.as_ref().map(hash_map))
        .set_malware(f.malware.as_ref().map(|all| {
            all.iter()
                .enumerate()
                .map(|(i, m)| malware_to_sdk(m, &format!("Malware[{i}]"), &mut lost))
                .collect()
        }))
        .set_network(f.network.as_ref().map(|n| network_to_sdk(n, &mut lost)))
        .set_process(f.process.as_ref().map(|p| process_to_sdk(p, &mut lost)))
        .set_threats(f.threats.as_ref().map(|all| {
            all.iter()
                .enumerate()
                .map(|(i, t)| threat_to_sdk(t, &format!("Threats[{i}]"), &mut lost))
                .collect()
        }))
        .set_threat_intel_indicators(f.threat_intel_indicators.as_ref().map(|all| {
            all.iter()
                .enumerate()
                .map(|(i, t)| {
                    indicator_to_sdk(t, &format!("ThreatIntelIndicators[{i}]"), &mut lost)
                })
                .collect()
        }))
        .set_resources(Some(
            f.resources
                .iter()
                .enumerate()
                .map(|(i, r)| resource_to_sdk(r, &format!("Resources[{i}]"), &mut lost))
                .collect(),
        ))
        .set_compliance(
            f.compliance
                .as_ref()
                .map(|c| compliance_to_sdk(c, &mut lost)),
        )
        .set_verification_state(f.verification_state.map(|v| v.as_str().into()))
        .set_workflow_state(f.workflow_state.map(|v| v.as_str().into()))
        .set_workflow(f.workflow.as_ref().map(|w| {
            lost.extra("Workflow", &w.extra);
            sdk::Workflow::builder()
                .set_status(w.status.map(|s| s.as_str().into()))
                .build()
        }))
        .set_record_state(f.record_state.map(|v| v.as_str().into()))
        .set_related_findings(
            f.related_findings
                .as_ref()
                .map(|all| related_to_sdk(all, "RelatedFindings", &mut lost)),
        )
        .set_note(f.note.as_ref().map(|n| note_to_sdk(n, &mut lost)))
        .set_finding_provider_fields(
            f.finding_provider_fields
                .as_ref()
                .map(|p| provider_fields_to_sdk(p, &mut lost)),
        )
        .set_sample(f.sample)
        .set_generator_details(f.generator_details.as_ref().map(|g| {
            lost.extra("GeneratorDetails", &g.extra);
            sdk::GeneratorDetails::builder()
                .set_name(g.name.clone())
                .set_description(g.description.clone())
                .set_labels(g.labels.clone())
                .build()
        }))
        .set_processed_at(f.processed_at.clone())
        .set_aws_account_name(f.aws_account_name.clone())
        .build();
    let not_converted = [
        ("NetworkPath", f.network_path.is_some()),
        ("Vulnerabilities", f.vulnerabilities.is_some()),
        ("PatchSummary", f.patch_summary.is_some()),
        ("Action", f.action.is_some()),
        ("Detection", f.detection.is_some()),
    ];
    for (member, present) in not_converted {
        if present {
            lost.member("", member);
        }
    }
    Converted {
        value,
        unconverted: lost.paths,
    }
}

/// Converts a finding from the SDK's type.
///
/// # Errors
/// [`Error::Sdk`] when a member that ASFF requires is missing.
pub fn from_sdk(finding: &sdk::AwsSecurityFinding) -> Result<Converted<Finding>, Error> {
    let mut lost = Lost::default();
    let f = finding;
    let required = |value: Option<&str>, member: &str| {
        value.map(str::to_owned).ok_or_else(|| Error::Sdk {
            path: member.to_owned(),
            reason: "the SDK finding has no value for this required member".to_owned(),
        })
    };
    let value = Finding {
        schema_version: required(f.schema_version(), "SchemaVersion")?,
        id: required(f.id(), "Id")?,
        product_arn: required(f.product_arn(), "ProductArn")?,
        product_name: f.product_name.clone(),
        company_name: f.company_name.clone(),
        region: f.region.clone(),
        generator_id: required(f.generator_id(), "GeneratorId")?,
        aws_account_id: required(f.aws_account_id(), "AwsAccountId")?,
        types: f.types.clone(),
        first_observed_at: f.first_observed_at.clone(),
        last_observed_at: f.last_observed_at.clone(),
        created_at: required(f.created_at(), "CreatedAt")?,
        updated_at: required(f.updated_at(), "UpdatedAt")?,
        severity: f
            .severity
            .as_ref()
            .map(|severity| severity_from_sdk(severity, "Severity", &mut lost)),
        confidence: f.confidence,
        criticality: f.criticality,
        title: required(f.title(), "Title")?,
        description: required(f.description(), "Description")?,
        remediation: f.remediation.as_ref().map(|r| Remediation {
            recommendation: r.recommendation.as_ref().map(|rec| crate::Recommendation {
                text: rec.text.clone(),
                url: rec.url.clone(),
                extra: Extra::new(),
            }),
            extra: Extra::new(),
        }),
        source_url: f.source_url.clone(),
        product_fields: f.product_fields.as_ref().map(btree_map),
        user_defined_fields: f.user_defined_fields.as_ref().map(btree_map),
        malware: f.malware.as_ref().map(|all| {
            all.iter()
                .map(|m| Malware {
                    name: m.name.clone().unwrap_or_default(),
                    malware_type: m.r#type.as_ref().map(|t| t.as_str().to_owned()),
                    path: m.path.clone(),
                    state: m.state.as_ref().map(|s| s.as_str().to_owned()),
                    extra: Extra::new(),
                })
                .collect()
        }),
        network: f.network.as_ref().map(network_from_sdk),
        process: f.process.as_ref().map(|p| Process {
            name: p.name.clone(),
            path: p.path.clone(),
            pid: p.pid,
            parent_pid: p.parent_pid,
            launched_at: p.launched_at.clone(),
            terminated_at: p.terminated_at.clone(),
            extra: Extra::new(),
        }),
        threats: f.threats.as_ref().map(|all| {
            all.iter()
                .enumerate()
                .map(|(i, t)| {
                    if t.file_paths.is_some() {
                        lost.member(&format!("Threats[{i}]"), "FilePaths");
                    }
                    Threat {
                        name: t.name.clone(),
                        severity: t.severity.clone(),
                        item_count: t.item_count,
                        file_paths: None,
                        extra: Extra::new(),
                    }
                })
                .collect()
        }),
        threat_intel_indicators: f.threat_intel_indicators.as_ref().map(|all| {
            all.iter()
                .map(|t| ThreatIntelIndicator {
                    indicator_type: t.r#type.as_ref().map(|v| v.as_str().to_owned()),
                    value: t.value.clone(),
                    category: t.category.as_ref().map(|v| v.as_str().to_owned()),
                    last_observed_at: t.last_observed_at.clone(),
                    source: t.source.clone(),
                    source_url: t.source_url.clone(),
                    extra: Extra::new(),
                })
                .collect()
        }),
        resources: f
            .resources()
            .iter()
            .enumerate()
            .map(|(i, r)| resource_from_sdk(r, &format!("Resources[{i}]"), &mut lost))
            .collect(),
        compliance: f
            .compliance
            .as_ref()
            .map(|c| compliance_from_sdk(c, &mut lost)),
        verification_state: f
            .verification_state
            .as_ref()
            .and_then(|v| enum_from_sdk(v.as_str(), "VerificationState", &mut lost)),
        workflow_state: f
            .workflow_state
            .as_ref()
            .and_then(|v| enum_from_sdk(v.as_str(), "WorkflowState", &mut lost)),
        workflow: f.workflow.as_ref().map(|w| crate::Workflow {
            status: w
                .status
                .as_ref()
                .and_then(|s| enum_from_sdk(s.as_str(), "Workflow.Status", &mut lost)),
            extra: Extra::new(),
        }),
        record_state: f
            .record_state
            .as_ref()
            .and_then(|v| enum_from_sdk(v.as_str(), "RecordState", &mut lost)),
        related_findings: f.related_findings.as_ref().map(|all| related_from_sdk(all)),
        note: f.note.as_ref().map(|n| Note {
            text: n.text.clone().unwrap_or_default(),
            updated_by: n.updated_by.clone().unwrap_or_default(),
            updated_at: n.updated_at.clone().unwrap_or_default(),
            extra: Extra::new(),
        }),
        finding_provider_fields: f.finding_provider_fields.as_ref().map(|p| {
            FindingProviderFields {
                confidence: p.confidence,
                criticality: p.criticality,
                related_findings: p.related_findings.as_ref().map(|all| related_from_sdk(all)),
                severity: p.severity.as_ref().map(|s| Severity {
                    label: s.label.as_ref().and_then(|l| {
                        enum_from_sdk(
                            l.as_str(),
                            "FindingProviderFields.Severity.Label",
                            &mut lost,
                        )
                    }),
                    original: s.original.clone(),
                    ..Severity::default()
                }),
                types: p.types.clone(),
                extra: Extra::new(),
            }
        }),
        sample: f.sample,
        generator_details: f
            .generator_details
            .as_ref()
            .map(|g| crate::GeneratorDetails {
                name: g.name.clone(),
                description: g.description.clone(),
                labels: g.labels.clone(),
                extra: Extra::new(),
            }),
        processed_at: f.processed_at.clone(),
        aws_account_name: f.aws_account_name.clone(),
        ..Finding::default()
    };
    let not_converted = [
        ("NetworkPath", f.network_path.is_some()),
        ("Vulnerabilities", f.vulnerabilities.is_some()),
        ("PatchSummary", f.patch_summary.is_some()),
        ("Action", f.action.is_some()),
        ("Detection", f.detection.is_some()),
    ];
    for (member, present) in not_converted {
        if present {
            lost.member("", member);
        }
    }
    Ok(Converted {
        value,
        unconverted: lost.paths,
    })
}

/// Collects the paths of members that did not convert.
#[derive(Default)]
struct Lost {
    paths: Vec<String>,
}

impl Lost {
    fn member(&mut self, parent: &str, member: &str) {
        self.paths.push(if parent.is_empty() {
            member.to_owned()
        } else {
            format!("{parent}.{member}")
        });
    }

    fn extra(&mut self, parent: &str, extra: &Extra) {
        for key in extra.keys() {
            self.member(parent, key);
        }
    }
}

fn hash_map(map: &BTreeMap<String, String>) -> HashMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn btree_map(map: &HashMap<String, String>) -> BTreeMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn severity_to_sdk(severity: &Severity, path: &str, lost: &mut Lost) -> sdk::Severity {
    lost.extra(path, &severity.extra);
    sdk::Severity::builder()
        .set_label(severity.label.map(|l| l.as_str().into()))
        .set_normalized(severity.normalized)
        .set_original(severity.original.clone())
        .set_product(
            severity
                .product
                .as_ref()
                .and_then(serde_json::Number::as_f64),
        )
        .build()
}

fn severity_from_sdk(severity: &sdk::Severity, path: &str, lost: &mut Lost) -> Severity {
    let product = severity.product.map(|p| {
        // Integral scores were most likely written as integers.
        if p.fract() == 0.0 && p.abs() < 9.0e15 {
            serde_json::Number::from(p as i64)
        } else {
            serde_json::Number::from_f64(p).unwrap_or_else(|| serde_json::Number::from(0))
        }
    });
    Severity {
        label: severity
            .label
            .as_ref()
            .and_then(|l| enum_from_sdk(l.as_str(), &format!("{path}.Label"), lost)),
        normalized: severity.normalized,
        original: severity.original.clone(),
        product,
        extra: Extra::new(),
    }
}

/// An SDK enum value as this crate's enum; an SDK `Unknown` value that is
/// not one of ours is recorded as lost.
fn enum_from_sdk<T: std::str::FromStr>(value: &str, path: &str, lost: &mut Lost) -> Option<T> {
    let parsed = value.parse().ok();
    if parsed.is_none() {
        lost.member("", path);
    }
    parsed
}

fn remediation_to_sdk(remediation: &Remediation, lost: &mut Lost) -> sdk::Remediation {
    lost.extra("Remediation", &remediation.extra);
    sdk::Remediation::builder()
        .set_recommendation(remediation.recommendation.as_ref().map(|r| {
            lost.extra("Remediation.Recommendation", &r.extra);
            sdk::Recommendation::builder()
                .set_text(r.text.clone())
                .set_url(r.url.clone())
                .build()
        }))
        .build()
}

fn malware_to_sdk(malware: &Malware, path: &str, lost: &mut Lost) -> sdk::Malware {
    lost.extra(path, &malware.extra);
    sdk::Malware::builder()
        .name(&malware.name)
        .set_type(malware.malware_type.as_deref().map(Into::into))
        .set_path(malware.path.clone())
        .set_state(malware.state.as_deref().map(Into::into))
        .build()
}

fn network_to_sdk(network: &Network, lost: &mut Lost) -> sdk::Network {
    lost.extra("Network", &network.extra);
    let n = network;
    sdk::Network::builder()
        .set_direction(n.direction.as_deref().map(Into::into))
        .set_protocol(n.protocol.clone())
        .set_open_port_range(n.open_port_range.as_ref().map(|r| {
            lost.extra("Network.OpenPortRange", &r.extra);
            sdk::PortRange::builder()
                .set_begin(r.begin)
                .set_end(r.end)
                .build()
        }))
        .set_source_ipv4(n.source_ip_v4.clone())
        .set_source_ipv6(n.source_ip_v6.clone())
        .set_source_port(n.source_port)
        .set_source_domain(n.source_domain.clone())
        .set_source_mac(n.source_mac.clone())
        .set_destination_ipv4(n.destination_ip_v4.clone())
        .set_destination_ipv6(n.destination_ip_v6.clone())
        .set_destination_port(n.destination_port)
        .set_destination_domain(n.destination_domain.clone())
        .build()
}

fn network_from_sdk(n: &sdk::Network) -> Network {
    Network {
        direction: n.direction.as_ref().map(|d| d.as_str().to_owned()),
        protocol: n.protocol.clone(),
        open_port_range: n.open_port_range.as_ref().map(|r| crate::PortRange {
            begin: r.begin,
            end: r.end,
            extra: Extra::new(),
        }),
        source_ip_v4: n.source_ipv4.clone(),
        source_ip_v6: n.source_ipv6.clone(),
        source_port: n.source_port,
        source_domain: n.source_domain.clone(),
        source_mac: n.source_mac.clone(),
        destination_ip_v4: n.destination_ipv4.clone(),
        destination_ip_v6: n.destination_ipv6.clone(),
        destination_port: n.destination_port,
        destination_domain: n.destination_domain.clone(),
        extra: Extra::new(),
    }
}

fn process_to_sdk(process: &Process, lost: &mut Lost) -> sdk::ProcessDetails {
    lost.extra("Process", &process.extra);
    sdk::ProcessDetails::builder()
        .set_name(process.name.clone())
        .set_path(process.path.clone())
        .set_pid(process.pid)
        .set_parent_pid(process.parent_pid)
        .set_launched_at(process.launched_at.clone())
        .set_terminated_at(process.terminated_at.clone())
        .build()
}

fn threat_to_sdk(threat: &Threat, path: &str, lost: &mut Lost) -> sdk::Threat {
    lost.extra(path, &threat.extra);
    if threat.file_paths.is_some() {
        lost.member(path, "FilePaths");
    }
    sdk::Threat::builder()
        .set_name(threat.name.clone())
        .set_severity(threat.severity.clone())
        .set_item_count(threat.item_count)
        .build()
}

fn indicator_to_sdk(
    indicator: &ThreatIntelIndicator,
    path: &str,
    lost: &mut Lost,
) -> sdk::ThreatIntelIndicator {
    lost.extra(path, &indicator.extra);
    sdk::ThreatIntelIndicator::builder()
        .set_type(indicator.indicator_type.as_deref().map(Into::into))
        .set_value(indicator.value.clone())
        .set_category(indicator.category.as_deref().map(Into::into))
        .set_last_observed_at(indicator.last_observed_at.clone())
        .set_source(indicator.source.clone())
        .set_source_url(indicator.source_url.clone())
        .build()
}

fn resource_to_sdk(resource: &Resource, path: &str, lost: &mut Lost) -> sdk::Resource {
    lost.extra(path, &resource.extra);
    if resource.data_classification.is_some() {
        lost.member(path, "DataClassification");
    }
    let details = resource
        .details
        .as_ref()
        .map(|d| details_to_sdk(d, &format!("{path}.Details"), lost));
    sdk::Resource::builder()
        .r#type(&resource.resource_type)
        .id(&resource.id)
        .set_partition(resource.partition.as_deref().map(Into::into))
        .set_region(resource.region.clone())
        .set_resource_role(resource.resource_role.clone())
        .set_tags(resource.tags.as_ref().map(hash_map))
        .set_details(details)
        .set_application_name(resource.application_name.clone())
        .set_application_arn(resource.application_arn.clone())
        .build()
}

fn details_to_sdk(details: &ResourceDetails, path: &str, lost: &mut Lost) -> sdk::ResourceDetails {
    // Only `Other` has a shape shared by the SDK and ASFF JSON; the typed
    // kinds would each need a converter for the SDK's struct of that kind.
    let serialized = serde_json::to_value(details).unwrap_or_default();
    if let serde_json::Value::Object(members) = serialized {
        for key in members.keys().filter(|key| *key != "Other") {
            lost.member(path, key);
        }
    }
    sdk::ResourceDetails::builder()
        .set_other(details.other.as_ref().map(hash_map))
        .build()
}

fn resource_from_sdk(resource: &sdk::Resource, path: &str, lost: &mut Lost) -> Resource {
    if resource.data_classification.is_some() {
        lost.member(path, "DataClassification");
    }
    let details = resource.details.as_ref().map(|d| {
        let other = d.other.as_ref().map(btree_map);
        // Any other kind set on the SDK struct is lost; its Debug output
        // names the kinds, but an empty builder equals a struct with only `Other`.
        let only_other = sdk::ResourceDetails::builder()
            .set_other(d.other.clone())
            .build();
        if *d != only_other {
            lost.member(path, "Details");
        }
        ResourceDetails {
            other,
            ..ResourceDetails::default()
        }
    });
    Resource {
        resource_type: resource.r#type.clone().unwrap_or_default(),
        id: resource.id.clone().unwrap_or_default(),
        partition: resource.partition.as_ref().map(|p| p.as_str().to_owned()),
        region: resource.region.clone(),
        resource_role: resource.resource_role.clone(),
        tags: resource.tags.as_ref().map(btree_map),
        details,
        application_name: resource.application_name.clone(),
        application_arn: resource.application_arn.clone(),
        ..Resource::default()
    }
}

fn compliance_to_sdk(compliance: &Compliance, lost: &mut Lost) -> sdk::Compliance {
    lost.extra("Compliance", &compliance.extra);
    if compliance.security_control_parameters.is_some() {
        lost.member("Compliance", "SecurityControlParameters");
    }
    sdk::Compliance::builder()
        .set_status(compliance.status.map(|s| s.as_str().into()))
        .set_related_requirements(compliance.related_requirements.clone())
        .set_status_reasons(compliance.status_reasons.as_ref().map(|all| {
            all.iter()
                .map(|r| {
                    sdk::StatusReason::builder()
                        .reason_code(&r.reason_code)
                        .set_description(r.description.clone())
                        .build()
                })
                .collect()
        }))
        .set_security_control_id(compliance.security_control_id.clone())
        .set_associated_standards(compliance.associated_standards.as_ref().map(|all| {
            all.iter()
                .map(|s| {
                    sdk::AssociatedStandard::builder()
                        .set_standards_id(s.standards_id.clone())
                        .build()
                })
                .collect()
        }))
        .build()
}

fn compliance_from_sdk(compliance: &sdk::Compliance, lost: &mut Lost) -> Compliance {
    if compliance.security_control_parameters.is_some() {
        lost.member("Compliance", "SecurityControlParameters");
    }
    Compliance {
        status: compliance
            .status
            .as_ref()
            .and_then(|s| enum_from_sdk(s.as_str(), "Compliance.Status", lost)),
        related_requirements: compliance.related_requirements.clone(),
        status_reasons: compliance.status_reasons.as_ref().map(|all| {
            all.iter()
                .map(|r| crate::StatusReason {
                    reason_code: r.reason_code.clone().unwrap_or_default(),
                    description: r.description.clone(),
                    extra: Extra::new(),
                })
                .collect()
        }),
        security_control_id: compliance.security_control_id.clone(),
        associated_standards: compliance.associated_standards.as_ref().map(|all| {
            all.iter()
                .map(|s| crate::AssociatedStandard {
                    standards_id: s.standards_id.clone(),
                    extra: Extra::new(),
                })
                .collect()
        }),
        security_control_parameters: None,
        extra: Extra::new(),
    }
}

fn related_to_sdk(
    related: &[RelatedFinding],
    path: &str,
    lost: &mut Lost,
) -> Vec<sdk::RelatedFinding> {
    related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            lost.extra(&format!("{path}[{i}]"), &r.extra);
            sdk::RelatedFinding::builder()
                .product_arn(&r.product_arn)
                .id(&r.id)
                .build()
        })
        .collect()
}

fn related_from_sdk(related: &[sdk::RelatedFinding]) -> Vec<RelatedFinding> {
    related
        .iter()
        .map(|r| RelatedFinding {
            product_arn: r.product_arn.clone().unwrap_or_default(),
            id: r.id.clone().unwrap_or_default(),
            extra: Extra::new(),
        })
        .collect()
}

fn note_to_sdk(note: &Note, lost: &mut Lost) -> sdk::Note {
    lost.extra("Note", &note.extra);
    sdk::Note::builder()
        .text(&note.text)
        .updated_by(&note.updated_by)
        .updated_at(&note.updated_at)
        .build()
}

fn provider_fields_to_sdk(
    fields: &FindingProviderFields,
    lost: &mut Lost,
) -> sdk::FindingProviderFields {
    const PATH: &str = "FindingProviderFields";
    lost.extra(PATH, &fields.extra);
    sdk::FindingProviderFields::builder()
        .set_confidence(fields.confidence)
        .set_criticality(fields.criticality)
        .set_related_findings(
            fields
                .related_findings
                .as_ref()
                .map(|all| related_to_sdk(all, &format!("{PATH}.RelatedFindings"), lost)),
        )
        .set_severity(fields.severity.as_ref().map(|s| {
            let path = format!("{PATH}.Severity");
            lost.extra(&path, &s.extra);
            // The SDK's provider severity has only Label and Original.
            if s.normalized.is_some() {
                lost.member(&path, "Normalized");
            }
            if s.product.is_some() {
                lost.member(&path, "Product");
            }
            sdk::FindingProviderSeverity::builder()
                .set_label(s.label.map(|l| l.as_str().into()))
                .set_original(s.original.clone())
                .build()
        }))
        .set_types(fields.types.clone())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ComplianceStatus, SeverityLabel, WorkflowStatus};

    fn finding() -> Finding {
        Finding {
            schema_version: "2018-10-08".into(),
            id: "f-1".into(),
            product_arn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub".into(),
            generator_id: "security-control/S3.2".into(),
            aws_account_id: "111122223333".into(),
            types: Some(vec!["Software and Configuration Checks".into()]),
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            severity: Some(Severity {
                label: Some(SeverityLabel::High),
                normalized: Some(70),
                product: Some(serde_json::Number::from(7)),
                ..Severity::default()
            }),
            title: "t".into(),
            description: "d".into(),
            resources: vec![Resource {
                resource_type: "AwsS3Bucket".into(),
                id: "arn:aws:s3:::b".into(),
                partition: Some("aws".into()),
                details: Some(ResourceDetails {
                    other: Some(BTreeMap::from([("k".into(), "v".into())])),
                    ..ResourceDetails::default()
                }),
                ..Resource::default()
            }],
            compliance: Some(Compliance {
                status: Some(ComplianceStatus::Failed),
                security_control_id: Some("S3.2".into()),
                ..Compliance::default()
            }),
            workflow: Some(crate::Workflow {
                status: Some(WorkflowStatus::New),
                extra: Extra::new(),
            }),
            product_fields: Some(BTreeMap::from([("ControlId".into(), "S3.2".into())])),
            ..Finding::default()
        }
    }

    #[test]
    fn converted_members_survive_a_trip_through_the_sdk() {
        let original = finding();
        let there = to_sdk(&original);
        assert!(there.is_lossless(), "{:?}", there.unconverted);
        assert_eq!(
            there.value.severity().and_then(|s| s.label()),
            Some(&sdk::SeverityLabel::High)
        );
        let back = from_sdk(&there.value).unwrap();
        assert!(back.is_lossless(), "{:?}", back.unconverted);
        assert_eq!(back.value, original);
    }

    #[test]
    fn absent_types_and_severity_stay_absent_through_the_sdk() {
        let original = Finding {
            types: None,
            severity: None,
            ..finding()
        };
        let there = to_sdk(&original);
        assert_eq!(
            (there.value.types(), there.value.severity()),
            (&[][..], None)
        );
        let back = from_sdk(&there.value).unwrap();
        assert_eq!((back.value.types, back.value.severity), (None, None));
    }

    #[test]
    fn unconverted_members_are_listed_by_path() {
        let mut f = finding();
        f.extra
            .insert("FutureMember".into(), serde_json::Value::Bool(true));
        f.resources[0].details.as_mut().unwrap().aws_s3_bucket = Some(Default::default());
        f.action = Some(Default::default());
        let converted = to_sdk(&f);
        assert_eq!(
            converted.unconverted,
            ["FutureMember", "Resources[0].Details.AwsS3Bucket", "Action"]
        );
    }

    #[test]
    fn missing_required_member_in_sdk_finding_is_an_error() {
        let mut sdk_finding = to_sdk(&finding()).value;
        sdk_finding.id = None;
        let error = from_sdk(&sdk_finding).unwrap_err();
        assert_eq!(error.path(), Some("Id"));
    }

    #[test]
    fn batches_hold_at_most_one_hundred() {
        let findings: Vec<Finding> = (0..250)
            .map(|i| Finding {
                id: format!("f-{i}"),
                ..finding()
            })
            .collect();
        let updates = update_batches(&findings);
        assert_eq!(
            updates.iter().map(Vec::len).collect::<Vec<_>>(),
            [100, 100, 50]
        );
        assert_eq!(updates[2][49].id(), Some("f-249"));
        let imports = import_batches(&findings);
        assert_eq!(
            imports.value.iter().map(Vec::len).collect::<Vec<_>>(),
            [100, 100, 50]
        );
        assert!(imports.is_lossless());
    }
}

//! Parses an EventBridge event or an ASFF or OCSF finding and prints what soar sees.
//!
//! ```text
//! cargo run -p soar-asff --example summarize -- testdata/eventbridge/securityhub-imported-fsbp-ec2-7.json
//! ```
//!
//! With no argument it reads standard input. Exits 2 with the JSON path of
//! the problem when the input does not parse.

use std::io::Read;
use std::process::ExitCode;

use soar_asff::{Event, Finding};

fn main() -> ExitCode {
    let mut bytes = Vec::new();
    let read = match std::env::args_os().nth(1) {
        Some(path) => std::fs::read(&path).map(|b| bytes = b),
        None => std::io::stdin().read_to_end(&mut bytes).map(drop),
    };
    if let Err(error) = read {
        eprintln!("cannot read the input: {error}");
        return ExitCode::from(2);
    }
    match Event::parse(&bytes) {
        Ok(event) => {
            print!("{}", summarize(&event));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("invalid input: {error}");
            ExitCode::from(2)
        }
    }
}

/// One block of text per event, and one line per finding in it.
fn summarize(event: &Event) -> String {
    let mut out = format!("event: {}\n", event.kind());
    match event {
        Event::GuardDutyFinding(e) => {
            let d = &e.detail;
            out += &format!(
                "  guardduty {} severity={} resource={} account={}\n",
                d.finding_type,
                d.severity_label().map_or("-", |l| l.as_str()),
                d.resource_type().unwrap_or("-"),
                d.account_id.as_deref().unwrap_or("-"),
            );
        }
        Event::CloudWatchAlarmStateChange(e) => {
            out += &format!(
                "  alarm {} is {}\n",
                e.detail.alarm_name, e.detail.state.value
            );
        }
        Event::CloudTrail(e) => {
            let who = e
                .detail
                .user_identity
                .as_ref()
                .and_then(|u| u.arn.as_deref());
            out += &format!(
                "  {} {} by {}\n",
                e.detail.event_source,
                e.detail.event_name,
                who.unwrap_or("-")
            );
        }
        _ => {}
    }
    for finding in event.findings() {
        out += &summarize_finding(finding);
    }
    for finding in event.ocsf_findings() {
        out += &format!(
            "  ocsf {} class={} severity={} account={} region={} resource={}\n",
            finding.finding_info.uid,
            finding.class_name.as_deref().unwrap_or("-"),
            finding.severity_label().map_or("-", |l| l.as_str()),
            finding.account_id().unwrap_or("-"),
            finding.region().unwrap_or("-"),
            finding.resource_arn().unwrap_or("-"),
        );
    }
    out
}

fn summarize_finding(f: &Finding) -> String {
    let resource = f.primary_resource();
    format!(
        "  finding {}\n    control={} compliance={} workflow={} severity={} ({})\n    account={} region={} resource={} {}\n",
        f.id,
        f.control_id().unwrap_or("-"),
        f.compliance_status().map_or("-", |s| s.as_str()),
        f.workflow_status().map_or("-", |s| s.as_str()),
        f.severity_label().map_or("-", |l| l.as_str()),
        f.normalized_severity().map_or("-".to_owned(), |n| n.to_string()),
        f.resource_account_id(),
        f.resource_region().unwrap_or("-"),
        resource.map_or("-", |r| r.resource_type.as_str()),
        resource.map_or("-", |r| r.id.as_str()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_control_and_resource() {
        let finding = Finding {
            id: "arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.2/finding/1"
                .into(),
            product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".into(),
            aws_account_id: "111122223333".into(),
            compliance: Some(soar_asff::Compliance {
                status: Some(soar_asff::ComplianceStatus::Failed),
                security_control_id: Some("EC2.2".into()),
                ..Default::default()
            }),
            resources: vec![soar_asff::Resource {
                resource_type: "AwsEc2SecurityGroup".into(),
                id: "arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123".into(),
                ..Default::default()
            }],
            ..Finding::default()
        };
        let event = serde_json::json!({
            "version": "0", "detail-type": "Security Hub Findings - Custom Action",
            "source": "aws.securityhub", "detail": {"findings": [finding]},
        });
        let event = Event::parse(&serde_json::to_vec(&event).unwrap()).unwrap();
        let text = summarize(&event);
        assert!(
            text.starts_with("event: Security Hub Findings - Custom Action\n"),
            "{text}"
        );
        assert!(text.contains("control=EC2.2 compliance=FAILED"), "{text}");
        assert!(text.contains("AwsEc2SecurityGroup"), "{text}");
    }
}

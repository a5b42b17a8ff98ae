//! EC2.12: release an Elastic IP address nothing uses, once it has been
//! unused for 30 days (destructive).
//!
//! An address is unused when it has no association (no instance, no
//! network interface). Until 30 days after the finding was first seen the
//! outcome is `ReconsiderLater` at the due time; a released address cannot
//! be got back, and DNS records or allow-lists elsewhere may still name it,
//! so the wait gives its owner time to notice the finding.

use async_trait::async_trait;
use aws_sdk_ec2::types::Address;
use soar_asff::Finding;

use super::{due_after, ec2_id};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What EC2.12 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.12"],
    title: "Unused EC2 EIPs are removed",
    service: Service::Ec2,
    resource_type: "AwsEc2Eip",
    iam_actions: &["ec2:DescribeAddresses", "ec2:ReleaseAddress"],
    destructive: true,
    exemption_tag: None,
};

/// How long an address must have been unused before it is released.
const UNUSED_FOR_SECONDS: i64 = 30 * 86_400;

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(ReleaseUnusedAddress)
}

/// Releases the Elastic IP address.
pub(crate) struct ReleaseUnusedAddress;

async fn describe(ctx: &Context, allocation_id: &str) -> Result<Address, RemediationError> {
    let output = ctx
        .ec2()
        .describe_addresses()
        .allocation_ids(allocation_id)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeAddresses", &e))?;
    output
        .addresses()
        .iter()
        .find(|a| a.allocation_id() == Some(allocation_id))
        .cloned()
        .ok_or_else(|| RemediationError::not_found("DescribeAddresses", format!("InvalidAllocationID.NotFound: address {allocation_id} does not exist")))
}

/// Whether the address is associated. An empty ID counts as none (moto
/// writes `""` for an unassociated address's instance and interface).
fn in_use(address: &Address) -> bool {
    [
        address.association_id(),
        address.instance_id(),
        address.network_interface_id(),
    ]
    .iter()
    .any(|id| id.is_some_and(|id| !id.is_empty()))
}

#[async_trait]
impl Remediation for ReleaseUnusedAddress {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let allocation_id = ec2_id(finding, &META)?;
        let address = describe(ctx, &allocation_id).await?;
        if in_use(&address) {
            return Ok(Plan::compliant(control, allocation_id));
        }
        let due = due_after(finding, control, UNUSED_FOR_SECONDS)?;
        if ctx.now() < due {
            return Ok(Plan::not_yet(
                control,
                allocation_id,
                due,
                "an Elastic IP address is released only after 30 days unused",
            ));
        }
        let ip = address.public_ip().unwrap_or("(no address)");
        let change = Plan::change(
            "ec2:ReleaseAddress",
            format!("release the unused Elastic IP address {ip} ({allocation_id})"),
        );
        Ok(Plan::changes(control, allocation_id, vec![change], serde_json::Value::Null))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.ec2()
            .release_address()
            .allocation_id(&plan.resource)
            .send()
            .await
            .map_err(|e| RemediationError::aws("ReleaseAddress", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!("Released the unused Elastic IP address {}.", plan.resource)],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        match describe(ctx, &ec2_id(finding, &META)?).await {
            Err(error) if error.is_not_found() => Ok(true),
            Ok(address) => Ok(in_use(&address)),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::describe_addresses::{DescribeAddressesError, DescribeAddressesOutput};
    use aws_sdk_ec2::operation::release_address::{ReleaseAddressError, ReleaseAddressOutput};
    use aws_sdk_ec2::Client;
    use soar_core::{DestructiveControls, Timestamp};

    use super::*;
    use crate::testkit::{
        assert_fixed_once,         aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report, Settings};

    const ALLOCATION: &str = "eipalloc-0123456789abcdef0";
    const FIRST_SEEN: &str = "2026-10-01T00:00:00Z";

    fn finding() -> Finding {
        let mut finding = finding_for(
            "EC2.12",
            "AwsEc2Eip",
            &format!("arn:aws:ec2:us-east-1:111111111111:elastic-ip/{ALLOCATION}"),
        );
        finding.first_observed_at = Some(FIRST_SEEN.to_owned());
        finding
    }

    fn later(days: i64) -> Timestamp {
        Timestamp(Timestamp::parse(FIRST_SEEN).unwrap().0 + days * 86_400)
    }

    fn address(associated: bool) -> DescribeAddressesOutput {
        let mut address = Address::builder().allocation_id(ALLOCATION).public_ip("203.0.113.7");
        if associated {
            address = address.association_id("eipassoc-1").instance_id("i-0abc");
        }
        DescribeAddressesOutput::builder().addresses(address.build()).build()
    }

    /// The unused address for the plan, then gone after the release.
    fn described() -> Rule {
        mock!(Client::describe_addresses)
            .match_requests(|r| r.allocation_ids() == [ALLOCATION])
            .sequence()
            .output(|| address(false))
            .error(|| DescribeAddressesError::generic(aws_error("InvalidAllocationID.NotFound", "released")))
            .repeatedly()
            .build()
    }

    fn release() -> Rule {
        mock!(Client::release_address)
            .match_requests(|r| r.allocation_id() == Some(ALLOCATION) && r.public_ip().is_none())
            .then_output(|| ReleaseAddressOutput::builder().build())
    }

    fn allowed() -> Settings {
        Settings {
            destructive_controls: DestructiveControls::new(["EC2.12"]).unwrap(),
            ..Settings::default()
        }
    }

    async fn run_at(now: Timestamp, settings: Settings, rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        let ctx = ctx.with_settings(settings).with_now(now);
        remediate(&ReleaseUnusedAddress, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn releases_an_address_unused_for_30_days_when_allowed() {
        let (d, r) = (described(), release());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &r]);
        let ctx = ctx.with_settings(allowed()).with_now(later(31));
        let report = remediate(&ReleaseUnusedAddress, &ctx, &finding(), Mode::Apply).await;
        assert_fixed_once(&META, &report, &r, &recorder);
    }

    #[tokio::test]
    async fn before_30_days_it_is_reconsidered_when_due_and_unless_allowed_it_is_a_ticket() {
        let (d, r) = (described(), release());
        let report = run_at(later(29), allowed(), &[&d, &r]).await;
        assert_eq!(
            report.outcome,
            Outcome::ReconsiderLater { until: "2026-10-31T00:00:00Z".to_owned() }
        );
        let (d, r2) = (described(), release());
        let report = run_at(later(31), Settings::default(), &[&d, &r2]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("destructive") && reason.contains("203.0.113.7")),
            "{report:?}"
        );
        assert_eq!((r.num_calls(), r2.num_calls()), (0, 0));
    }

    #[tokio::test]
    async fn an_associated_address_gets_no_write() {
        let d = mock!(Client::describe_addresses).then_output(|| address(true));
        let r = release();
        assert_eq!(run_at(later(31), allowed(), &[&d, &r]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(r.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_released_address_is_suppressed() {
        let gone = mock!(Client::describe_addresses).then_error(|| {
            DescribeAddressesError::generic(aws_error("InvalidAllocationID.NotFound", "gone"))
        });
        let report = run_at(later(31), allowed(), &[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("InvalidAllocationID.NotFound")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_release_is_a_ticket() {
        let d = described();
        let denied = mock!(Client::release_address)
            .then_error(|| ReleaseAddressError::generic(aws_error("UnauthorizedOperation", "no")));
        let report = run_at(later(31), allowed(), &[&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ReleaseAddress failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_release_is_retried() {
        let d = described();
        let throttled = mock!(Client::release_address)
            .sequence()
            .error(|| ReleaseAddressError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| ReleaseAddressOutput::builder().build())
            .build();
        let report = run_at(later(31), allowed(), &[&d, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}

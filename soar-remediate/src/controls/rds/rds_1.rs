//! RDS.1: make a public DB snapshot or DB cluster snapshot private.
//!
//! A snapshot whose `restore` attribute holds `all` can be restored by any
//! AWS account, data included. soar removes `all` and nothing else: the
//! accounts the snapshot is shared with by ID keep their access.

use async_trait::async_trait;
use soar_asff::Finding;

use super::{snapshot, SNAPSHOT};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What RDS.1 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.1"],
    title: "RDS snapshots are private",
    service: Service::Rds,
    resource_type: SNAPSHOT,
    iam_actions: &[
        "rds:DescribeDBSnapshotAttributes",
        "rds:ModifyDBSnapshotAttribute",
        "rds:DescribeDBClusterSnapshotAttributes",
        "rds:ModifyDBClusterSnapshotAttribute",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(MakeSnapshotPrivate)
}

/// Stops sharing a snapshot with every account.
pub(crate) struct MakeSnapshotPrivate;

#[async_trait]
impl Remediation for MakeSnapshotPrivate {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let (kind, id) = snapshot(finding, &META)?;
        let restorers = kind.restorers(ctx, &id).await?;
        if !restorers.iter().any(|r| r == "all") {
            return Ok(Plan::compliant(control, id));
        }
        let kept = restorers.len() - 1;
        let (action, what) = match kind {
            super::SnapshotKind::Instance => ("rds:ModifyDBSnapshotAttribute", kind.words()),
            super::SnapshotKind::Cluster => ("rds:ModifyDBClusterSnapshotAttribute", kind.words()),
        };
        let change = Plan::change(
            action,
            format!(
                "stop sharing {what} {id} with every AWS account (remove `all` from its restore attribute); the {kept} account(s) it is shared with by ID keep access"
            ),
        );
        Ok(Plan::changes(
            control,
            id,
            vec![change],
            serde_json::json!({ "cluster": kind == super::SnapshotKind::Cluster }),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let kind = if plan.data_as::<bool>("cluster")? {
            super::SnapshotKind::Cluster
        } else {
            super::SnapshotKind::Instance
        };
        kind.stop_public_sharing(ctx, &plan.resource).await?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Made {} {} private.",
                kind.words(),
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let (kind, id) = snapshot(finding, &META)?;
        Ok(!kind.restorers(ctx, &id).await?.iter().any(|r| r == "all"))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::describe_db_cluster_snapshot_attributes::DescribeDbClusterSnapshotAttributesOutput;
    use aws_sdk_rds::operation::describe_db_snapshot_attributes::{
        DescribeDBSnapshotAttributesError, DescribeDbSnapshotAttributesOutput,
    };
    use aws_sdk_rds::operation::modify_db_cluster_snapshot_attribute::ModifyDbClusterSnapshotAttributeOutput;
    use aws_sdk_rds::operation::modify_db_snapshot_attribute::{
        ModifyDBSnapshotAttributeError, ModifyDbSnapshotAttributeInput,
        ModifyDbSnapshotAttributeOutput,
    };
    use aws_sdk_rds::types::{
        DbClusterSnapshotAttribute, DbClusterSnapshotAttributesResult, DbSnapshotAttribute,
        DbSnapshotAttributesResult,
    };
    use aws_sdk_rds::Client;

    use super::*;
    use crate::controls::rds::CLUSTER_SNAPSHOT;
    use crate::testkit::{
        assert_fixed_once, aws_error, finding_for, mock, mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    const SNAP_ARN: &str = "arn:aws:rds:us-east-1:111111111111:snapshot:orders-final";
    const PARTNER: &str = "222222222222";

    fn attributes(values: &'static [&'static str]) -> DescribeDbSnapshotAttributesOutput {
        DescribeDbSnapshotAttributesOutput::builder()
            .db_snapshot_attributes_result(
                DbSnapshotAttributesResult::builder()
                    .db_snapshot_identifier("orders-final")
                    .db_snapshot_attributes(
                        DbSnapshotAttribute::builder()
                            .attribute_name("restore")
                            .set_attribute_values(Some(values.iter().map(|v| v.to_string()).collect()))
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn described(before: &'static [&'static str], after: &'static [&'static str]) -> Rule {
        mock!(Client::describe_db_snapshot_attributes)
            .match_requests(|r| r.db_snapshot_identifier() == Some("orders-final"))
            .sequence()
            .output(move || attributes(before))
            .output(move || attributes(after))
            .repeatedly()
            .build()
    }

    /// `all` removed, and nothing added or removed besides.
    fn unsharing(r: &ModifyDbSnapshotAttributeInput) -> bool {
        r.db_snapshot_identifier() == Some("orders-final")
            && r.attribute_name() == Some("restore")
            && r.values_to_remove() == ["all"]
            && r.values_to_add().is_empty()
    }

    fn write(throttle_first: bool) -> Rule {
        let rule = mock!(Client::modify_db_snapshot_attribute)
            .match_requests(unsharing)
            .sequence();
        let rule = if throttle_first {
            rule.error(|| ModifyDBSnapshotAttributeError::generic(aws_error("Throttling", "Rate exceeded")))
        } else {
            rule
        };
        rule.output(|| ModifyDbSnapshotAttributeOutput::builder().build()).build()
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&MakeSnapshotPrivate, &ctx, &finding_for("RDS.1", SNAPSHOT, SNAP_ARN), Mode::Apply).await
    }

    #[tokio::test]
    async fn removes_public_sharing_and_keeps_named_accounts() {
        let (read, write) = (described(&["all", PARTNER], &[PARTNER]), write(false));
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&read, &write]);
        let finding = finding_for("RDS.1", SNAPSHOT, SNAP_ARN);
        let report = remediate(&MakeSnapshotPrivate, &ctx, &finding, Mode::Apply).await;
        assert_fixed_once(&META, &report, &write, &recorder);
        assert!(report.changes[0].description.contains("the 1 account(s)"), "{report:?}");
    }

    #[tokio::test]
    async fn a_private_snapshot_gets_no_write() {
        let (read, write) = (described(&[PARTNER], &[PARTNER]), write(false));
        assert_eq!(run(&[&read, &write]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_cluster_snapshot_is_made_private_with_the_cluster_api() {
        let answer = |values: &'static [&'static str]| {
            move || {
                DescribeDbClusterSnapshotAttributesOutput::builder()
                    .db_cluster_snapshot_attributes_result(
                        DbClusterSnapshotAttributesResult::builder()
                            .db_cluster_snapshot_attributes(
                                DbClusterSnapshotAttribute::builder()
                                    .attribute_name("restore")
                                    .set_attribute_values(Some(values.iter().map(|v| v.to_string()).collect()))
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            }
        };
        let read = mock!(Client::describe_db_cluster_snapshot_attributes)
            .match_requests(|r| r.db_cluster_snapshot_identifier() == Some("orders-weekly"))
            .sequence()
            .output(answer(&["all"]))
            .output(answer(&[]))
            .repeatedly()
            .build();
        let write = mock!(Client::modify_db_cluster_snapshot_attribute)
            .match_requests(|r| {
                r.db_cluster_snapshot_identifier() == Some("orders-weekly") && r.values_to_remove() == ["all"]
            })
            .then_output(|| ModifyDbClusterSnapshotAttributeOutput::builder().build());
        let finding = finding_for(
            "RDS.1",
            CLUSTER_SNAPSHOT,
            "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:orders-weekly",
        );
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&read, &write]);
        let report = remediate(&MakeSnapshotPrivate, &ctx, &finding, Mode::Apply).await;
        assert_fixed_once(&META, &report, &write, &recorder);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let gone = mock!(Client::describe_db_snapshot_attributes).then_error(|| {
            DescribeDBSnapshotAttributesError::generic(aws_error("DBSnapshotNotFound", "orders-final not found"))
        });
        let report = run(&[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("DBSnapshotNotFound")),
            "{report:?}"
        );

        let read = described(&["all"], &["all"]);
        let denied = mock!(Client::modify_db_snapshot_attribute).then_error(|| {
            ModifyDBSnapshotAttributeError::generic(aws_error("AccessDenied", "not authorized"))
        });
        let report = run(&[&read, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyDBSnapshotAttribute failed (access denied)") && reason.contains("not authorized")),
            "{report:?}"
        );

        let (read, write) = (described(&["all"], &[]), write(true));
        let report = run(&[&read, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(write.num_calls(), 2);
    }
}

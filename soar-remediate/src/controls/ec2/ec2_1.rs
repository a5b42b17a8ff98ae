//! EC2.1: stop the account's EBS snapshots from being restorable by anyone.
//!
//! The control is evaluated per account and Region, so the finding names
//! the account. Only the `all` group's create-volume permission is
//! removed: snapshots shared with named accounts stay shared with them. A
//! snapshot tagged `soar:ec2:public-snapshot=true` is meant to be public (a
//! published dataset, a community image) and is left as it is.

use async_trait::async_trait;
use aws_sdk_ec2::types::{OperationType, PermissionGroup, SnapshotAttributeName};
use soar_asff::Finding;

use crate::controls::{control_id, is_true};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What EC2.1 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.1"],
    title: "EBS snapshots are not publicly restorable",
    service: Service::Ec2,
    resource_type: "AwsAccount",
    iam_actions: &[
        "ec2:DescribeSnapshots",
        "ec2:DescribeSnapshotAttribute",
        "ec2:ModifySnapshotAttribute",
    ],
    destructive: false,
    exemption_tag: Some("soar:ec2:public-snapshot"),
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(MakeSnapshotsPrivate)
}

/// Removes the public create-volume permission from every snapshot the
/// account owns in the Region.
pub(crate) struct MakeSnapshotsPrivate;

/// The account's public snapshots, split by whether they may stay public.
#[derive(Debug, Default)]
struct PublicSnapshots {
    to_close: Vec<String>,
    exempt: Vec<String>,
}

/// The snapshots the account owns that anyone can restore. The listing's
/// `RestorableByUserIds=all` filter does the narrowing; each candidate is
/// then confirmed by its own create-volume permissions, which are what
/// `apply` changes (and what emulators, which ignore the filter, get right).
async fn public_snapshots(ctx: &Context) -> Result<PublicSnapshots, RemediationError> {
    let mut found = PublicSnapshots::default();
    let mut snapshots = ctx
        .ec2()
        .describe_snapshots()
        .owner_ids("self")
        .restorable_by_user_ids("all")
        .into_paginator()
        .items()
        .send();
    while let Some(snapshot) = snapshots.next().await {
        let snapshot = snapshot.map_err(|e| RemediationError::aws("DescribeSnapshots", &e))?;
        let Some(id) = snapshot.snapshot_id() else {
            continue;
        };
        if !is_public(ctx, id).await? {
            continue;
        }
        let exempt = snapshot
            .tags()
            .iter()
            .any(|t| t.key() == META.exemption_tag && is_true(t.value()));
        if exempt {
            found.exempt.push(id.to_owned());
        } else {
            found.to_close.push(id.to_owned());
        }
    }
    Ok(found)
}

/// Whether the `all` group may create volumes from `snapshot_id`. A
/// snapshot deleted since it was listed is not public.
async fn is_public(ctx: &Context, snapshot_id: &str) -> Result<bool, RemediationError> {
    let attribute = ctx
        .ec2()
        .describe_snapshot_attribute()
        .snapshot_id(snapshot_id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeSnapshotAttribute", &e));
    match attribute {
        Ok(attribute) => Ok(attribute
            .create_volume_permissions()
            .iter()
            .any(|p| p.group() == Some(&PermissionGroup::All))),
        Err(error) if error.is_not_found() => Ok(false),
        Err(error) => Err(error),
    }
}

#[async_trait]
impl Remediation for MakeSnapshotsPrivate {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        // The context's account is the finding's (see `ContextFactory::context_for`).
        let account = ctx.account_id().to_owned();
        let found = public_snapshots(ctx).await?;
        if found.to_close.is_empty() {
            if found.exempt.is_empty() {
                return Ok(Plan::compliant(control, account));
            }
            return Ok(Plan::exempt(
                control,
                account,
                format!(
                    "the account's public snapshots are tagged soar:ec2:public-snapshot=true: {}",
                    found.exempt.join(", ")
                ),
            ));
        }
        let changes = found
            .to_close
            .iter()
            .map(|id| {
                Plan::change(
                    "ec2:ModifySnapshotAttribute",
                    format!("stop snapshot {id} from being restorable by anyone"),
                )
            })
            .collect();
        Ok(Plan::changes(
            control,
            account,
            changes,
            serde_json::json!({ "snapshots": found.to_close, "exempt": found.exempt }),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let snapshots: Vec<String> = plan.data_as("snapshots")?;
        let mut actions_taken = Vec::with_capacity(snapshots.len());
        for id in &snapshots {
            let modified = ctx
                .ec2()
                .modify_snapshot_attribute()
                .snapshot_id(id)
                // The documented "make private" form: remove the group
                // `all`. Emulators read only this one.
                .attribute(SnapshotAttributeName::CreateVolumePermission)
                .operation_type(OperationType::Remove)
                .group_names("all")
                .send()
                .await
                .map_err(|e| RemediationError::aws("ModifySnapshotAttribute", &e));
            match modified {
                Ok(_) => actions_taken.push(format!("Made snapshot {id} private.")),
                // One deleted snapshot says nothing about the account's
                // others: the finding is the account's, so go on.
                Err(error) if error.is_not_found() => {
                    actions_taken.push(format!("Snapshot {id} was deleted before it was changed."));
                }
                Err(error) => return Err(error),
            }
        }
        Ok(Outcome::Remediated { actions_taken })
    }

    async fn verify(&self, ctx: &Context, _finding: &Finding) -> Result<bool, RemediationError> {
        Ok(public_snapshots(ctx).await?.to_close.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::describe_snapshot_attribute::{
        DescribeSnapshotAttributeError, DescribeSnapshotAttributeInput,
        DescribeSnapshotAttributeOutput,
    };
    use aws_sdk_ec2::operation::describe_snapshots::{
        DescribeSnapshotsInput, DescribeSnapshotsOutput,
    };
    use aws_sdk_ec2::operation::modify_snapshot_attribute::{
        ModifySnapshotAttributeError, ModifySnapshotAttributeInput, ModifySnapshotAttributeOutput,
    };
    use aws_sdk_ec2::types::{CreateVolumePermission, Snapshot, Tag};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    const PUBLIC: &str = "snap-0000000000000public";
    const SHARED: &str = "snap-0000000000000shared";
    const DATASET: &str = "snap-000000000000dataset";

    fn finding() -> Finding {
        finding_for("EC2.1", "AwsAccount", "AWS::::Account:111111111111")
    }

    fn listing(r: &DescribeSnapshotsInput) -> bool {
        r.owner_ids() == ["self"] && r.restorable_by_user_ids() == ["all"]
    }

    fn snapshot(id: &str) -> Snapshot {
        let snapshot = Snapshot::builder().snapshot_id(id);
        if id == DATASET {
            let tag = Tag::builder()
                .key("soar:ec2:public-snapshot")
                .value("true");
            return snapshot.tags(tag.build()).build();
        }
        snapshot.build()
    }

    /// Lists `ids` on every call, as an emulator that ignores the filter
    /// would; the attribute reads decide which are public.
    fn listed(ids: &'static [&'static str]) -> Rule {
        mock!(Client::describe_snapshots)
            .match_requests(listing)
            .then_output(move || {
                let mut output = DescribeSnapshotsOutput::builder();
                for id in ids {
                    output = output.snapshots(snapshot(id));
                }
                output.build()
            })
    }

    /// Create-volume permissions: `"all"` is the public group, anything
    /// else an account ID.
    fn permitted(who: &[&str]) -> DescribeSnapshotAttributeOutput {
        let mut output = DescribeSnapshotAttributeOutput::builder();
        for who in who {
            let permission = CreateVolumePermission::builder();
            output = output.create_volume_permissions(if *who == "all" {
                permission.group(PermissionGroup::All).build()
            } else {
                permission.user_id(*who).build()
            });
        }
        output.build()
    }

    fn reading(snapshot_id: &'static str) -> impl Fn(&DescribeSnapshotAttributeInput) -> bool {
        move |r| {
            r.snapshot_id() == Some(snapshot_id)
                && r.attribute() == Some(&SnapshotAttributeName::CreateVolumePermission)
        }
    }

    /// `snapshot_id`'s permissions: `first` for the plan, `then` after.
    fn permissions(
        snapshot_id: &'static str,
        first: &'static [&'static str],
        then: &'static [&'static str],
    ) -> Rule {
        mock!(Client::describe_snapshot_attribute)
            .match_requests(reading(snapshot_id))
            .sequence()
            .output(move || permitted(first))
            .output(move || permitted(then))
            .repeatedly()
            .build()
    }

    /// The one write per public snapshot: remove the `all` group, add nothing.
    fn closing(snapshot_id: &'static str) -> impl Fn(&ModifySnapshotAttributeInput) -> bool {
        move |r| {
            r.snapshot_id() == Some(snapshot_id)
                && r.attribute() == Some(&SnapshotAttributeName::CreateVolumePermission)
                && r.operation_type() == Some(&OperationType::Remove)
                && r.group_names() == ["all"]
                && r.user_ids().is_empty()
                && r.create_volume_permission().is_none()
        }
    }

    fn modify(snapshot_id: &'static str) -> Rule {
        mock!(Client::modify_snapshot_attribute)
            .match_requests(closing(snapshot_id))
            .then_output(|| ModifySnapshotAttributeOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&MakeSnapshotsPrivate, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn closes_the_public_snapshot_and_keeps_named_shares_and_exempt_ones() {
        let l = listed(&[PUBLIC, SHARED, DATASET]);
        let public = permissions(PUBLIC, &["all", "222222222222"], &["222222222222"]);
        let shared = permissions(SHARED, &["222222222222"], &["222222222222"]);
        let dataset = permissions(DATASET, &["all"], &["all"]);
        let (m, other) = (modify(PUBLIC), mock!(Client::modify_snapshot_attribute).then_output(|| ModifySnapshotAttributeOutput::builder().build()));
        let (ctx, recorder) =
            mock_context(RuleMode::MatchAny, &[&l, &public, &shared, &dataset, &m, &other]);
        let report = remediate(&MakeSnapshotsPrivate, &ctx, &finding(), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(report.resource.as_deref(), Some("111111111111"));
        assert_eq!(m.num_calls(), 1);
        assert_eq!(other.num_calls(), 0, "only the public, unexempt snapshot is written");
        assert_eq!(report.changes.len(), 1);
        assert!(report.changes[0].description.contains(PUBLIC), "{report:?}");
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn an_account_without_public_snapshots_gets_no_write() {
        let none = listed(&[]);
        let shared_only = listed(&[SHARED]);
        let shared = permissions(SHARED, &["222222222222"], &["222222222222"]);
        let m = mock!(Client::modify_snapshot_attribute)
            .then_output(|| ModifySnapshotAttributeOutput::builder().build());
        assert_eq!(run(&[&none, &m]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(run(&[&shared_only, &shared, &m]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(m.num_calls(), 0);
    }

    #[tokio::test]
    async fn only_exempt_public_snapshots_are_suppressed_with_their_ids() {
        let l = listed(&[DATASET]);
        let dataset = permissions(DATASET, &["all"], &["all"]);
        let m = modify(DATASET);
        let report = run(&[&l, &dataset, &m]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason }
                if reason.contains("soar:ec2:public-snapshot") && reason.contains(DATASET)),
            "{report:?}"
        );
        assert_eq!(m.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_snapshot_deleted_meanwhile_does_not_stop_the_others() {
        const OTHER: &str = "snap-00000000000000other";
        let l = listed(&[PUBLIC, OTHER]);
        let public = mock!(Client::describe_snapshot_attribute)
            .match_requests(reading(PUBLIC))
            .sequence()
            .output(|| permitted(&["all"]))
            .error(|| {
                DescribeSnapshotAttributeError::generic(aws_error("InvalidSnapshot.NotFound", "gone"))
            })
            .repeatedly()
            .build();
        let other = permissions(OTHER, &["all"], &[]);
        let gone = mock!(Client::modify_snapshot_attribute)
            .match_requests(closing(PUBLIC))
            .then_error(|| {
                ModifySnapshotAttributeError::generic(aws_error("InvalidSnapshot.NotFound", "gone"))
            });
        let m = modify(OTHER);
        let report = run(&[&l, &public, &other, &gone, &m]).await;
        assert_eq!(m.num_calls(), 1, "{report:?}");
        let Outcome::Remediated { actions_taken } = &report.outcome else {
            panic!("{report:?}");
        };
        assert_eq!(
            actions_taken,
            &[
                format!("Snapshot {PUBLIC} was deleted before it was changed."),
                format!("Made snapshot {OTHER} private."),
            ]
        );
    }

    #[tokio::test]
    async fn a_snapshot_deleted_before_its_read_is_not_public() {
        let l = listed(&[PUBLIC]);
        let gone = mock!(Client::describe_snapshot_attribute).then_error(|| {
            DescribeSnapshotAttributeError::generic(aws_error("InvalidSnapshot.NotFound", "gone"))
        });
        assert_eq!(run(&[&l, &gone]).await.outcome, Outcome::AlreadyCompliant);
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let l = listed(&[PUBLIC]);
        let public = permissions(PUBLIC, &["all"], &["all"]);
        let denied = mock!(Client::modify_snapshot_attribute).then_error(|| {
            ModifySnapshotAttributeError::generic(aws_error("UnauthorizedOperation", "no"))
        });
        let report = run(&[&l, &public, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifySnapshotAttribute failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let l = listed(&[PUBLIC]);
        let public = permissions(PUBLIC, &["all"], &[]);
        let throttled = mock!(Client::modify_snapshot_attribute)
            .match_requests(closing(PUBLIC))
            .sequence()
            .error(|| ModifySnapshotAttributeError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| ModifySnapshotAttributeOutput::builder().build())
            .build();
        let report = run(&[&l, &public, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}

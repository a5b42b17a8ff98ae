//! RDS.4: replace an unencrypted DB snapshot or DB cluster snapshot with
//! an encrypted copy.
//!
//! RDS cannot encrypt a snapshot in place. soar copies it, encrypted with
//! `rds_snapshot_kms_key` (RDS's AWS managed key by default) and with its
//! tags, as `<name>-encrypted`, and waits for the copy. The original is
//! deleted only once the copy is verified (available, encrypted, and
//! taken from the same database at the same time: a snapshot that merely
//! has the copy's name does not count), and
//! only when `destructive_controls` allows RDS.4; otherwise both are kept
//! and the outcome is a ticket naming them. An automated snapshot
//! (`rds:...`) cannot be deleted: it expires with its instance's backup
//! retention, and the ticket says so.
//!
//! A copy takes longer than one Lambda call. Each call continues from what
//! it finds: no copy yet, it starts one; a copy still being made, it is
//! `ReconsiderLater`; a verified copy, it deletes (or reports) the
//! original.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use soar_asff::Finding;

use super::{reconsider_at, snapshot, SnapshotKind, SnapshotState, SNAPSHOT};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What RDS.4 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.4"],
    title: "RDS cluster snapshots and database snapshots are encrypted at rest",
    service: Service::Rds,
    resource_type: SNAPSHOT,
    iam_actions: &[
        "rds:DescribeDBSnapshots",
        "rds:CopyDBSnapshot",
        "rds:DeleteDBSnapshot",
        "rds:DescribeDBClusterSnapshots",
        "rds:CopyDBClusterSnapshot",
        "rds:DeleteDBClusterSnapshot",
        // The copy is encrypted under the caller's grant on the key.
        "kms:DescribeKey",
        "kms:CreateGrant",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(EncryptedCopy)
}

/// Copies a snapshot encrypted, then deletes the original when allowed.
pub(crate) struct EncryptedCopy;

/// Where a remediation of one snapshot stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Step {
    /// No copy yet: make one.
    Copy,
    /// The copy is verified: delete the original.
    Delete,
    /// The copy is verified, and the original must stay (not allowed, or
    /// automated): report both.
    Keep,
}

#[derive(Debug, Serialize, Deserialize)]
struct Progress {
    step: Step,
    copy: String,
    cluster: bool,
    /// The original's database and first time taken: what its copy must
    /// show before the original is deleted.
    database: Option<String>,
    taken: Option<i64>,
}

/// The copy's name: the original's, without an automated snapshot's
/// `rds:` (identifiers may not hold a colon), plus `-encrypted`, within
/// RDS's 255 characters.
fn copy_name(original: &str) -> String {
    let base = original.strip_prefix("rds:").unwrap_or(original);
    let base: String = base.chars().take(255 - "-encrypted".len()).collect();
    format!("{}-encrypted", base.trim_end_matches('-'))
}

fn is_automated(id: &str) -> bool {
    id.starts_with("rds:")
}

fn verified(copy: &SnapshotState) -> bool {
    copy.status == "available" && copy.encrypted
}

/// Whether `copy` is a verified copy of the original `progress` describes.
fn verified_copy(copy: &SnapshotState, progress: &Progress) -> bool {
    verified(copy) && copy.is_copy_of(progress.database.as_deref(), progress.taken)
}

/// What to do with the original once its copy is verified.
fn after_copy(ctx: &Context, control: &str, original: &str) -> Step {
    if !is_automated(original) && ctx.settings.destructive_controls.allows(control) {
        Step::Delete
    } else {
        Step::Keep
    }
}

fn kept_reason(control: &str, kind: SnapshotKind, original: &str, copy: &str) -> String {
    let what = kind.words();
    if is_automated(original) {
        format!(
            "the encrypted copy {copy} of automated {what} {original} is ready; RDS deletes automated snapshots itself, when they pass the backup retention: turn on encryption of the database so that its next snapshots are encrypted"
        )
    } else {
        format!(
            "the encrypted copy {copy} of {what} {original} is ready; {original} is kept because destructive_controls does not allow {control}: delete it once {copy} replaces it, or allow {control}"
        )
    }
}

#[async_trait]
impl Remediation for EncryptedCopy {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    fn destructive_step(&self) -> Option<&'static str> {
        Some("deletes the unencrypted original once its encrypted copy is verified; the copy is made always")
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let (kind, id) = snapshot(finding, &META)?;
        let original = kind.describe(ctx, &id).await?;
        if original.encrypted {
            return Ok(Plan::compliant(control, id));
        }
        let copy = copy_name(&id);
        let what = kind.words();
        let (copy_action, delete_action) = match kind {
            SnapshotKind::Instance => ("rds:CopyDBSnapshot", "rds:DeleteDBSnapshot"),
            SnapshotKind::Cluster => ("rds:CopyDBClusterSnapshot", "rds:DeleteDBClusterSnapshot"),
        };
        let delete = Plan::change(
            delete_action,
            format!("delete {what} {id} once {copy} is verified (only when destructive_controls allows {control})"),
        );
        let mut progress = Progress {
            step: Step::Copy,
            copy: copy.clone(),
            cluster: kind == SnapshotKind::Cluster,
            database: original.database.clone(),
            taken: original.taken,
        };
        let changes = match kind.find(ctx, &copy).await? {
            None => {
                let key = &ctx.settings.rds_snapshot_kms_key;
                vec![
                    Plan::change(
                        copy_action,
                        format!("copy {what} {id} to {copy}, encrypted with KMS key {key}, with its tags"),
                    ),
                    delete,
                ]
            }
            Some(state) if !state.encrypted || !state.is_copy_of(original.database.as_deref(), original.taken) => {
                return Err(RemediationError::CannotFix {
                    control_id: control.to_owned(),
                    reason: format!(
                        "{what} {copy} exists but is not an encrypted copy of {id} (encrypted: {}, taken from {}): rename one of them",
                        state.encrypted,
                        state.database.as_deref().unwrap_or("an unknown database")
                    ),
                })
            }
            Some(state) if state.status != "available" => {
                return Ok(Plan::not_yet(
                    control,
                    id,
                    reconsider_at(ctx),
                    format!(
                        "the encrypted copy {copy} is {} ({}% done)",
                        state.status,
                        state.progress.unwrap_or(0)
                    ),
                ))
            }
            Some(_) => {
                progress.step = after_copy(ctx, control, &id);
                if progress.step == Step::Delete {
                    vec![delete]
                } else {
                    Vec::new()
                }
            }
        };
        Ok(Plan::changes(control, id, changes, serde_json::to_value(progress).unwrap_or_default()))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let progress: Progress = serde_json::from_value(plan.data.clone()).map_err(|e| {
            RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: format!("the plan's data is not RDS.4's progress: {e}"),
            }
        })?;
        let kind = if progress.cluster { SnapshotKind::Cluster } else { SnapshotKind::Instance };
        let (original, copy) = (&plan.resource, &progress.copy);
        let control = plan.control_id.as_str();
        let mut actions_taken = Vec::new();
        let mut step = progress.step;
        if step == Step::Copy {
            kind.copy_encrypted(ctx, original, copy, &ctx.settings.rds_snapshot_kms_key).await?;
            actions_taken.push(format!("Started the encrypted copy {copy} of {} {original}.", kind.words()));
            let mut ready = false;
            for read in 1..=ctx.settings.rds_wait_attempts.max(1) {
                if read > 1 {
                    ctx.pause(Duration::from_millis(ctx.settings.rds_wait_delay_ms)).await;
                }
                if kind.find(ctx, copy).await?.is_some_and(|c| verified_copy(&c, &progress)) {
                    ready = true;
                    break;
                }
            }
            if !ready {
                // The next call finds the copy and continues from there.
                tracing::info!(original, copy, "the encrypted copy is still being made");
                return Ok(Outcome::ReconsiderLater { until: reconsider_at(ctx).to_string() });
            }
            step = after_copy(ctx, control, original);
        }
        // Read the copy again right before deleting: the original goes only
        // when a verified copy stands in its place.
        if step == Step::Delete {
            if !kind.find(ctx, copy).await?.is_some_and(|c| verified_copy(&c, &progress)) {
                return Err(RemediationError::CannotFix {
                    control_id: control.to_owned(),
                    reason: format!("the encrypted copy {copy} is not available and encrypted: {original} is kept"),
                });
            }
            kind.delete(ctx, original).await?;
            actions_taken.push(format!(
                "Deleted {} {original}, replaced by its encrypted copy {copy}.",
                kind.words()
            ));
            return Ok(Outcome::Remediated { actions_taken });
        }
        Ok(Outcome::Ticket { reason: kept_reason(control, kind, original, copy) })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let (kind, id) = snapshot(finding, &META)?;
        match kind.find(ctx, &id).await? {
            Some(original) => Ok(original.encrypted),
            // Deleted: fixed when its verified copy is there.
            None => Ok(kind.find(ctx, &copy_name(&id)).await?.is_some_and(|c| verified(&c))),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::copy_db_cluster_snapshot::CopyDbClusterSnapshotOutput;
    use aws_sdk_rds::operation::copy_db_snapshot::{CopyDBSnapshotError, CopyDbSnapshotOutput};
    use aws_sdk_rds::operation::delete_db_cluster_snapshot::DeleteDbClusterSnapshotOutput;
    use aws_sdk_rds::operation::delete_db_snapshot::{DeleteDBSnapshotError, DeleteDbSnapshotOutput};
    use aws_sdk_rds::operation::describe_db_cluster_snapshots::{
        DescribeDBClusterSnapshotsError, DescribeDbClusterSnapshotsOutput,
    };
    use aws_sdk_rds::operation::describe_db_snapshots::{
        DescribeDBSnapshotsError, DescribeDbSnapshotsOutput,
    };
    use aws_sdk_rds::types::{DbClusterSnapshot, DbSnapshot};
    use aws_sdk_rds::Client;
    use soar_core::DestructiveControls;

    use super::*;
    use crate::controls::rds::CLUSTER_SNAPSHOT;
    use crate::testkit::{assert_fixed_once, aws_error, finding_for, mock, mock_context, Rule, RuleMode};
    use crate::{remediate, Mode, Report, Settings};

    const ORIGINAL: &str = "orders-final";
    const COPY: &str = "orders-final-encrypted";
    const ARN: &str = "arn:aws:rds:us-east-1:111111111111:snapshot:orders-final";

    fn snap(id: &str, status: &str, encrypted: bool) -> DescribeDbSnapshotsOutput {
        DescribeDbSnapshotsOutput::builder()
            .db_snapshots(
                DbSnapshot::builder()
                    .db_snapshot_identifier(id)
                    .status(status)
                    .encrypted(encrypted)
                    .percent_progress(if status == "available" { 100 } else { 40 })
                    .build(),
            )
            .build()
    }

    fn missing() -> DescribeDBSnapshotsError {
        DescribeDBSnapshotsError::generic(aws_error("DBSnapshotNotFound", "not found"))
    }

    /// The original: unencrypted and available for `reads_before_gone`
    /// reads (forever when `None`), then gone.
    fn original(reads_before_gone: Option<usize>) -> Rule {
        let mut rule = mock!(Client::describe_db_snapshots)
            .match_requests(|r| r.db_snapshot_identifier() == Some(ORIGINAL))
            .sequence();
        match reads_before_gone {
            Some(n) => {
                for _ in 0..n {
                    rule = rule.output(|| snap(ORIGINAL, "available", false));
                }
                rule.error(missing).repeatedly().build()
            }
            None => rule.output(|| snap(ORIGINAL, "available", false)).repeatedly().build(),
        }
    }

    /// The copy: missing for `missing_reads`, then `status` (encrypted).
    fn copy(missing_reads: usize, status: &'static str) -> Rule {
        let mut rule = mock!(Client::describe_db_snapshots)
            .match_requests(|r| r.db_snapshot_identifier() == Some(COPY))
            .sequence();
        for _ in 0..missing_reads {
            rule = rule.error(missing);
        }
        rule.output(move || snap(COPY, status, true)).repeatedly().build()
    }

    fn copying() -> Rule {
        mock!(Client::copy_db_snapshot)
            .match_requests(|r| {
                r.source_db_snapshot_identifier() == Some(ORIGINAL)
                    && r.target_db_snapshot_identifier() == Some(COPY)
                    && r.kms_key_id() == Some("alias/aws/rds")
                    && r.copy_tags() == Some(true)
            })
            .then_output(|| CopyDbSnapshotOutput::builder().build())
    }

    fn deleting() -> Rule {
        mock!(Client::delete_db_snapshot)
            .match_requests(|r| r.db_snapshot_identifier() == Some(ORIGINAL))
            .then_output(|| DeleteDbSnapshotOutput::builder().build())
    }

    fn allowed() -> Settings {
        Settings {
            destructive_controls: DestructiveControls::new(["RDS.4"]).unwrap(),
            ..Settings::default()
        }
    }

    async fn run(settings: Settings, rules: &[&Rule]) -> (Report, crate::iam::OperationRecorder) {
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, rules);
        let ctx = ctx
            .with_settings(settings)
            .with_now(soar_core::Timestamp::parse("2026-12-01T12:00:00Z").unwrap());
        let report = remediate(&EncryptedCopy, &ctx, &finding_for("RDS.4", SNAPSHOT, ARN), Mode::Apply).await;
        (report, recorder)
    }

    #[tokio::test]
    async fn allowed_it_copies_encrypted_then_deletes_the_original() {
        // Copy: missing at plan and at the first wait read, then available.
        let (before, after, copy, delete) = (original(Some(1)), copy(2, "available"), copying(), deleting());
        let (report, recorder) = run(allowed(), &[&before, &after, &copy, &delete]).await;
        assert_fixed_once(&META, &report, &delete, &recorder);
        assert_eq!(copy.num_calls(), 1);
        let Outcome::Remediated { actions_taken } = &report.outcome else { unreachable!() };
        assert_eq!(actions_taken.len(), 2, "{actions_taken:?}");
    }

    #[tokio::test]
    async fn not_allowed_it_copies_and_keeps_both() {
        let (before, after, copy, delete) = (original(None), copy(2, "available"), copying(), deleting());
        let (report, _) = run(Settings::default(), &[&before, &after, &copy, &delete]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains(COPY) && reason.contains("is kept because destructive_controls does not allow RDS.4")),
            "{report:?}"
        );
        assert_eq!((copy.num_calls(), delete.num_calls()), (1, 0));
    }

    #[tokio::test]
    async fn a_copy_still_being_made_is_reconsidered_and_the_next_call_continues() {
        // First call: the copy stays `creating` through the wait.
        let (before, after, copy, delete) = (original(None), copy(1, "creating"), copying(), deleting());
        let (report, _) = run(allowed(), &[&before, &after, &copy, &delete]).await;
        assert_eq!(report.outcome, Outcome::ReconsiderLater { until: "2026-12-01T12:15:00Z".to_owned() });
        assert_eq!((copy.num_calls(), delete.num_calls()), (1, 0));

        // Next call, still creating: reconsidered again, nothing written.
        let (before, after, copy, delete) = (original(None), self::copy(0, "creating"), copying(), deleting());
        let (report, _) = run(allowed(), &[&before, &after, &copy, &delete]).await;
        assert!(matches!(report.outcome, Outcome::ReconsiderLater { .. }), "{report:?}");
        assert_eq!((copy.num_calls(), delete.num_calls()), (0, 0));

        // Then the copy is ready: the original is deleted, no second copy.
        let (before, after, copy, delete) = (original(Some(1)), self::copy(0, "available"), copying(), deleting());
        let (report, _) = run(allowed(), &[&before, &after, &copy, &delete]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((copy.num_calls(), delete.num_calls()), (0, 1));
    }

    #[tokio::test]
    async fn a_snapshot_that_only_has_the_copys_name_is_not_trusted() {
        let of = |id: &'static str, database: &'static str, encrypted: bool| {
            move || {
                DescribeDbSnapshotsOutput::builder()
                    .db_snapshots(
                        DbSnapshot::builder()
                            .db_snapshot_identifier(id)
                            .db_instance_identifier(database)
                            .status("available")
                            .encrypted(encrypted)
                            .build(),
                    )
                    .build()
            }
        };
        let before = mock!(Client::describe_db_snapshots)
            .match_requests(|r| r.db_snapshot_identifier() == Some(ORIGINAL))
            .then_output(of(ORIGINAL, "orders", false));
        let other = mock!(Client::describe_db_snapshots)
            .match_requests(|r| r.db_snapshot_identifier() == Some(COPY))
            .then_output(of(COPY, "billing", true));
        let (copy, delete) = (copying(), deleting());
        let (report, _) = run(allowed(), &[&before, &other, &copy, &delete]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("is not an encrypted copy of orders-final") && reason.contains("billing")),
            "{report:?}"
        );
        assert_eq!((copy.num_calls(), delete.num_calls()), (0, 0));
    }

    #[tokio::test]
    async fn an_encrypted_snapshot_gets_no_write() {
        let encrypted = mock!(Client::describe_db_snapshots).then_output(|| snap(ORIGINAL, "available", true));
        let (copy, delete) = (copying(), deleting());
        let (report, _) = run(allowed(), &[&encrypted, &copy, &delete]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!((copy.num_calls(), delete.num_calls()), (0, 0));
    }

    #[tokio::test]
    async fn an_automated_snapshot_is_copied_and_never_deleted() {
        let automated = "arn:aws:rds:us-east-1:111111111111:snapshot:rds:orders-2026-11-30-05-10";
        let before = mock!(Client::describe_db_snapshots)
            .match_requests(|r| r.db_snapshot_identifier() == Some("rds:orders-2026-11-30-05-10"))
            .then_output(|| snap("rds:orders-2026-11-30-05-10", "available", false));
        let after = mock!(Client::describe_db_snapshots)
            .match_requests(|r| r.db_snapshot_identifier() == Some("orders-2026-11-30-05-10-encrypted"))
            .sequence()
            .error(missing)
            .output(|| snap("orders-2026-11-30-05-10-encrypted", "available", true))
            .repeatedly()
            .build();
        let copy = mock!(Client::copy_db_snapshot).then_output(|| CopyDbSnapshotOutput::builder().build());
        let delete = mock!(Client::delete_db_snapshot).then_output(|| DeleteDbSnapshotOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&before, &after, &copy, &delete]);
        let ctx = ctx.with_settings(allowed());
        let report = remediate(&EncryptedCopy, &ctx, &finding_for("RDS.4", SNAPSHOT, automated), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("RDS deletes automated snapshots itself")),
            "{report:?}"
        );
        assert_eq!((copy.num_calls(), delete.num_calls()), (1, 0));
    }

    #[tokio::test]
    async fn a_cluster_snapshot_uses_the_cluster_api() {
        let answer = |id: &'static str, encrypted: bool| {
            move || {
                DescribeDbClusterSnapshotsOutput::builder()
                    .db_cluster_snapshots(
                        DbClusterSnapshot::builder()
                            .db_cluster_snapshot_identifier(id)
                            .status("available")
                            .storage_encrypted(encrypted)
                            .build(),
                    )
                    .build()
            }
        };
        let gone = || {
            DescribeDBClusterSnapshotsError::generic(aws_error("DBClusterSnapshotNotFoundFault", "not found"))
        };
        let before = mock!(Client::describe_db_cluster_snapshots)
            .match_requests(|r| r.db_cluster_snapshot_identifier() == Some("weekly"))
            .sequence()
            .output(answer("weekly", false))
            .error(gone)
            .repeatedly()
            .build();
        let after = mock!(Client::describe_db_cluster_snapshots)
            .match_requests(|r| r.db_cluster_snapshot_identifier() == Some("weekly-encrypted"))
            .sequence()
            .error(gone)
            .output(answer("weekly-encrypted", true))
            .repeatedly()
            .build();
        let copy = mock!(Client::copy_db_cluster_snapshot)
            .match_requests(|r| {
                r.source_db_cluster_snapshot_identifier() == Some("weekly")
                    && r.target_db_cluster_snapshot_identifier() == Some("weekly-encrypted")
                    && r.kms_key_id() == Some("alias/aws/rds")
            })
            .then_output(|| CopyDbClusterSnapshotOutput::builder().build());
        let delete = mock!(Client::delete_db_cluster_snapshot)
            .match_requests(|r| r.db_cluster_snapshot_identifier() == Some("weekly"))
            .then_output(|| DeleteDbClusterSnapshotOutput::builder().build());
        let finding = finding_for(
            "RDS.4",
            CLUSTER_SNAPSHOT,
            "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:weekly",
        );
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&before, &after, &copy, &delete]);
        let ctx = ctx.with_settings(allowed());
        let report = remediate(&EncryptedCopy, &ctx, &finding, Mode::Apply).await;
        assert_fixed_once(&META, &report, &delete, &recorder);
        assert_eq!(copy.num_calls(), 1);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let gone = mock!(Client::describe_db_snapshots).then_error(missing);
        let (report, _) = run(allowed(), &[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("DBSnapshotNotFound")),
            "{report:?}"
        );

        let (before, after) = (original(None), copy(1, "available"));
        let denied = mock!(Client::copy_db_snapshot)
            .then_error(|| CopyDBSnapshotError::generic(aws_error("AccessDenied", "not authorized to use the key")));
        let (report, _) = run(allowed(), &[&before, &after, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("CopyDBSnapshot failed (access denied)") && reason.contains("not authorized to use the key")),
            "{report:?}"
        );

        let (before, after, copy) = (original(Some(1)), self::copy(2, "available"), copying());
        let throttled = mock!(Client::delete_db_snapshot)
            .sequence()
            .error(|| DeleteDBSnapshotError::generic(aws_error("Throttling", "Rate exceeded")))
            .output(|| DeleteDbSnapshotOutput::builder().build())
            .build();
        let (report, _) = run(allowed(), &[&before, &after, &copy, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }

    #[test]
    fn copy_names_are_valid_identifiers() {
        assert_eq!(copy_name("orders-final"), "orders-final-encrypted");
        assert_eq!(copy_name("rds:orders-2026-11-30-05-10"), "orders-2026-11-30-05-10-encrypted");
        let long = "a".repeat(300);
        assert_eq!(copy_name(&long).len(), 255);
    }
}

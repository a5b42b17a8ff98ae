//! Amazon RDS controls, and what they share: the instance, cluster or
//! snapshot a finding names, waiting for a busy database, when a change
//! takes effect, and the controls that turn one setting on.
//!
//! RDS applies some changes at once whatever the request says (deletion
//! protection, public access, log exports) and others, those that restart
//! or fail over the database, in the next maintenance window unless the
//! request has `ApplyImmediately`. soar sends `ApplyImmediately` only for
//! the latter, and only when `rds_apply_immediately` is set: the flag also
//! applies every change already pending on the database, which is not
//! soar's to decide by default. A change that waits for the window is
//! done as far as soar is concerned; until it is applied the plan is
//! [`PlanState::NotYet`](crate::PlanState::NotYet) at the window's end.

// One `mod` per control file in this directory, and `all()`, from build.rs.
include!(concat!(env!("OUT_DIR"), "/controls/rds.rs"));

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::{DbCluster, DbInstance};
use soar_asff::Finding;
use soar_core::Timestamp;

use crate::controls::{control_id, resource};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError};

/// The ASFF type of a DB instance.
pub(crate) const INSTANCE: &str = "AwsRdsDbInstance";
/// The ASFF type of a DB cluster.
pub(crate) const CLUSTER: &str = "AwsRdsDbCluster";

/// The identifier of the finding's DB instance or cluster (the resource
/// of `meta.resource_type`): the name in its ARN
/// (`arn:aws:rds:us-east-1:111111111111:db:orders`), else the one in its
/// details, else the resource ID itself.
pub(crate) fn identifier(
    finding: &Finding,
    meta: &ControlMeta,
) -> Result<String, RemediationError> {
    let resource = resource(finding, meta)?;
    if let Some(name) = arn_name(&resource.id) {
        return Ok(name.to_owned());
    }
    let details = resource.details.as_ref();
    let named = match meta.resource_type {
        CLUSTER => details
            .and_then(|d| d.aws_rds_db_cluster.as_ref())
            .and_then(|c| c.db_cluster_identifier.clone()),
        _ => details
            .and_then(|d| d.aws_rds_db_instance.as_ref())
            .and_then(|i| i.db_instance_identifier.clone()),
    };
    Ok(named.unwrap_or_else(|| resource.id.clone()))
}

/// The name in an RDS ARN: what follows the resource kind (`db:`,
/// `cluster:`, `snapshot:`), colons included, as in an automated
/// snapshot's `rds:orders-2026-11-30-05-10`.
pub(crate) fn arn_name(id: &str) -> Option<&str> {
    let arn = soar_asff::Arn::parse(id).ok()?;
    if arn.service != "rds" {
        return None;
    }
    arn.resource.split_once(':').map(|(_, name)| name)
}

/// A "not found" error for an answer that lists nothing, as RDS's own
/// `DBInstanceNotFound` would be.
pub(crate) fn not_found(operation: &'static str, what: &str) -> RemediationError {
    RemediationError::not_found(operation, format!("{what} is not in the answer"))
}

/// The DB instance.
pub(crate) async fn describe_instance(
    ctx: &Context,
    id: &str,
) -> Result<DbInstance, RemediationError> {
    let output = ctx
        .rds()
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeDBInstances", &e))?;
    output
        .db_instances()
        .first()
        .cloned()
        .ok_or_else(|| not_found("DescribeDBInstances", &format!("DB instance {id}")))
}

/// The DB cluster.
pub(crate) async fn describe_cluster(
    ctx: &Context,
    id: &str,
) -> Result<DbCluster, RemediationError> {
    let output = ctx
        .rds()
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeDBClusters", &e))?;
    output
        .db_clusters()
        .first()
        .cloned()
        .ok_or_else(|| not_found("DescribeDBClusters", &format!("DB cluster {id}")))
}

/// A database ready for a change, or the status it is busy in.
pub(crate) enum Readiness<T> {
    /// `available`: RDS accepts changes.
    Ready(T),
    /// Creating, modifying, backing up, rebooting...: still so after
    /// `rds_wait_attempts` reads.
    Busy(String),
}

/// The instance once it is `available`: `instance` itself when it is,
/// else read again up to `rds_wait_attempts` reads in all,
/// `rds_wait_delay_ms` apart. RDS refuses changes to a busy instance
/// (`InvalidDBInstanceState`), and a busy instance (modifying, backing
/// up) is usually available again within minutes: the caller reconsiders
/// it later.
pub(crate) async fn available_instance(
    ctx: &Context,
    instance: DbInstance,
) -> Result<Readiness<DbInstance>, RemediationError> {
    let id = instance
        .db_instance_identifier()
        .unwrap_or_default()
        .to_owned();
    until_available(ctx, instance, DbInstance::db_instance_status, || {
        describe_instance(ctx, &id)
    })
    .await
}

/// [`available_instance`] for a DB cluster.
pub(crate) async fn available_cluster(
    ctx: &Context,
    cluster: DbCluster,
) -> Result<Readiness<DbCluster>, RemediationError> {
    let id = cluster
        .db_cluster_identifier()
        .unwrap_or_default()
        .to_owned();
    until_available(ctx, cluster, DbCluster::status, || {
        describe_cluster(ctx, &id)
    })
    .await
}

/// `first`, or what `reread` gives, once `status` is `available`.
async fn until_available<T, Read, Reading>(
    ctx: &Context,
    first: T,
    status: fn(&T) -> Option<&str>,
    reread: Read,
) -> Result<Readiness<T>, RemediationError>
where
    Read: Fn() -> Reading,
    Reading: std::future::Future<Output = Result<T, RemediationError>>,
{
    let mut database = first;
    for read in 1..=ctx.settings.rds_wait_attempts.max(1) {
        if read > 1 {
            ctx.pause(Duration::from_millis(ctx.settings.rds_wait_delay_ms))
                .await;
            database = reread().await?;
        }
        if status(&database) == Some("available") {
            return Ok(Readiness::Ready(database));
        }
    }
    Ok(Readiness::Busy(
        status(&database).unwrap_or("unknown").to_owned(),
    ))
}

/// The plan for a database that stayed busy: reconsider it in
/// `rds_reconsider_after_minutes`.
pub(crate) fn busy(ctx: &Context, control: &str, what: &str, id: &str, status: &str) -> Plan {
    Plan::not_yet(
        control,
        id,
        reconsider_at(ctx),
        format!("{what} {id} is {status}, not available: RDS changes it only when it is available"),
    )
}

/// When a busy resource is looked at again.
pub(crate) fn reconsider_at(ctx: &Context) -> Timestamp {
    let minutes = ctx.settings.rds_reconsider_after_minutes.max(1);
    Timestamp(ctx.now().0.saturating_add(minutes.saturating_mul(60)))
}

/// When a change that RDS applies in the maintenance window takes effect,
/// in words for the plan.
pub(crate) fn timing(ctx: &Context, window: Option<&str>) -> String {
    if ctx.settings.rds_apply_immediately {
        "now (rds_apply_immediately; any change already pending is applied too)".to_owned()
    } else {
        format!(
            "in the next maintenance window ({})",
            window.unwrap_or("not set")
        )
    }
}

const WEEK: i64 = 7 * 86_400;

/// The end of the next maintenance window after `now`, from RDS's
/// `ddd:hh:mm-ddd:hh:mm` (UTC). A window that cannot be read counts as a
/// week away: RDS has a window for every database, so that happens only
/// with a malformed answer.
pub(crate) fn next_window_end(window: Option<&str>, now: Timestamp) -> Timestamp {
    let end = window
        .and_then(|w| w.split_once('-'))
        .and_then(|(_, end)| week_offset(end));
    let Some(end) = end else {
        return Timestamp(now.0.saturating_add(WEEK));
    };
    // 1970-01-01 was a Thursday: three days on, weeks start on Monday.
    let into_week = (now.0 + 3 * 86_400).rem_euclid(WEEK);
    let ahead = (end - into_week).rem_euclid(WEEK);
    Timestamp(now.0.saturating_add(if ahead == 0 { WEEK } else { ahead }))
}

/// Seconds from Monday 00:00 to `ddd:hh:mm`.
fn week_offset(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, ':');
    let day = parts.next()?.to_ascii_lowercase();
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let day = days.iter().position(|d| *d == day)? as i64;
    let hour: i64 = parts.next()?.parse().ok().filter(|h| (0..24).contains(h))?;
    let minute: i64 = parts.next()?.parse().ok().filter(|m| (0..60).contains(m))?;
    Some(day * 86_400 + hour * 3_600 + minute * 60)
}

/// The ASFF type of a DB (instance) snapshot.
pub(crate) const SNAPSHOT: &str = "AwsRdsDbSnapshot";
/// The ASFF type of a DB cluster snapshot.
pub(crate) const CLUSTER_SNAPSHOT: &str = "AwsRdsDbClusterSnapshot";

/// A DB snapshot (of an instance) or a DB cluster snapshot: the same
/// operations under two names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SnapshotKind {
    /// `AwsRdsDbSnapshot`.
    Instance,
    /// `AwsRdsDbClusterSnapshot`.
    Cluster,
}

/// What the snapshot controls read of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnapshotState {
    /// `available`, `creating`, `copying`...
    pub(crate) status: String,
    /// Whether its storage is encrypted.
    pub(crate) encrypted: bool,
    /// How far a copy has got, in percent.
    pub(crate) progress: Option<i32>,
    /// The instance or cluster it was taken from; a copy keeps it.
    pub(crate) database: Option<String>,
    /// When the instance snapshot was first taken (seconds since the
    /// epoch); a copy keeps it. `None` for cluster snapshots.
    pub(crate) taken: Option<i64>,
}

impl SnapshotState {
    /// Whether this snapshot can be a copy of `original`: taken from the
    /// same database, at the same time when both say. A snapshot that only
    /// has the copy's name is not enough to delete an original for.
    pub(crate) fn is_copy_of(&self, database: Option<&str>, taken: Option<i64>) -> bool {
        let same_database = self.database.as_deref() == database;
        let same_time = match (self.taken, taken) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        same_database && same_time
    }
}

/// The finding's snapshot, of either kind, and its identifier: the name in
/// its ARN, else the one in its details, else the resource ID.
pub(crate) fn snapshot(
    finding: &Finding,
    meta: &ControlMeta,
) -> Result<(SnapshotKind, String), RemediationError> {
    let found = finding
        .resources
        .iter()
        .find(|r| r.resource_type == SNAPSHOT || r.resource_type == CLUSTER_SNAPSHOT)
        .ok_or_else(|| RemediationError::UnsupportedFinding {
            control_id: control_id(finding, meta.ids).to_owned(),
            reason: format!("the finding has no {SNAPSHOT} or {CLUSTER_SNAPSHOT} resource"),
        })?;
    // The ARN's kind wins over the type: `cluster-snapshot:` is a cluster's.
    let by_arn = soar_asff::Arn::parse(&found.id).ok().and_then(|arn| {
        arn.resource
            .split_once(':')
            .map(|(kind, _)| kind == "cluster-snapshot")
    });
    let kind = match by_arn {
        Some(true) => SnapshotKind::Cluster,
        Some(false) => SnapshotKind::Instance,
        None if found.resource_type == CLUSTER_SNAPSHOT => SnapshotKind::Cluster,
        None => SnapshotKind::Instance,
    };
    if let Some(name) = arn_name(&found.id) {
        return Ok((kind, name.to_owned()));
    }
    let details = found.details.as_ref();
    let named = match kind {
        SnapshotKind::Cluster => details
            .and_then(|d| d.aws_rds_db_cluster_snapshot.as_ref())
            .and_then(|s| s.db_cluster_snapshot_identifier.clone()),
        SnapshotKind::Instance => details
            .and_then(|d| d.aws_rds_db_snapshot.as_ref())
            .and_then(|s| s.db_snapshot_identifier.clone()),
    };
    Ok((kind, named.unwrap_or_else(|| found.id.clone())))
}

impl SnapshotKind {
    /// What it is, in words.
    pub(crate) fn words(self) -> &'static str {
        match self {
            SnapshotKind::Instance => "DB snapshot",
            SnapshotKind::Cluster => "DB cluster snapshot",
        }
    }

    /// The snapshot; RDS's "not found" error when there is none.
    pub(crate) async fn describe(
        self,
        ctx: &Context,
        id: &str,
    ) -> Result<SnapshotState, RemediationError> {
        match self {
            SnapshotKind::Instance => {
                let operation = "DescribeDBSnapshots";
                let output = ctx
                    .rds()
                    .describe_db_snapshots()
                    .db_snapshot_identifier(id)
                    .send()
                    .await
                    .map_err(|e| RemediationError::aws(operation, &e))?;
                let found = output
                    .db_snapshots()
                    .first()
                    .ok_or_else(|| not_found(operation, &format!("DB snapshot {id}")))?;
                Ok(SnapshotState {
                    status: found.status().unwrap_or("unknown").to_owned(),
                    encrypted: found.encrypted().unwrap_or(false),
                    progress: found.percent_progress(),
                    database: found.db_instance_identifier().map(str::to_owned),
                    taken: found.original_snapshot_create_time().map(|t| t.secs()),
                })
            }
            SnapshotKind::Cluster => {
                let operation = "DescribeDBClusterSnapshots";
                let output = ctx
                    .rds()
                    .describe_db_cluster_snapshots()
                    .db_cluster_snapshot_identifier(id)
                    .send()
                    .await
                    .map_err(|e| RemediationError::aws(operation, &e))?;
                let found = output
                    .db_cluster_snapshots()
                    .first()
                    .ok_or_else(|| not_found(operation, &format!("DB cluster snapshot {id}")))?;
                Ok(SnapshotState {
                    status: found.status().unwrap_or("unknown").to_owned(),
                    encrypted: found.storage_encrypted().unwrap_or(false),
                    progress: found.percent_progress(),
                    database: found.db_cluster_identifier().map(str::to_owned),
                    taken: None,
                })
            }
        }
    }

    /// The snapshot, or `None` when there is none.
    pub(crate) async fn find(
        self,
        ctx: &Context,
        id: &str,
    ) -> Result<Option<SnapshotState>, RemediationError> {
        match self.describe(ctx, id).await {
            Ok(state) => Ok(Some(state)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Who may restore the snapshot: account IDs, and `all` when it is
    /// public.
    pub(crate) async fn restorers(
        self,
        ctx: &Context,
        id: &str,
    ) -> Result<Vec<String>, RemediationError> {
        let restore = |name: Option<&str>, values: &[String]| {
            (name == Some("restore")).then(|| values.to_vec())
        };
        Ok(match self {
            SnapshotKind::Instance => ctx
                .rds()
                .describe_db_snapshot_attributes()
                .db_snapshot_identifier(id)
                .send()
                .await
                .map_err(|e| RemediationError::aws("DescribeDBSnapshotAttributes", &e))?
                .db_snapshot_attributes_result()
                .map(|r| r.db_snapshot_attributes())
                .unwrap_or_default()
                .iter()
                .find_map(|a| restore(a.attribute_name(), a.attribute_values()))
                .unwrap_or_default(),
            SnapshotKind::Cluster => ctx
                .rds()
                .describe_db_cluster_snapshot_attributes()
                .db_cluster_snapshot_identifier(id)
                .send()
                .await
                .map_err(|e| RemediationError::aws("DescribeDBClusterSnapshotAttributes", &e))?
                .db_cluster_snapshot_attributes_result()
                .map(|r| r.db_cluster_snapshot_attributes())
                .unwrap_or_default()
                .iter()
                .find_map(|a| restore(a.attribute_name(), a.attribute_values()))
                .unwrap_or_default(),
        })
    }

    /// Removes `all` from who may restore the snapshot; the accounts it is
    /// shared with keep their access.
    pub(crate) async fn stop_public_sharing(
        self,
        ctx: &Context,
        id: &str,
    ) -> Result<(), RemediationError> {
        match self {
            SnapshotKind::Instance => ctx
                .rds()
                .modify_db_snapshot_attribute()
                .db_snapshot_identifier(id)
                .attribute_name("restore")
                .values_to_remove("all")
                .send()
                .await
                .map(|_| ())
                .map_err(|e| RemediationError::aws("ModifyDBSnapshotAttribute", &e)),
            SnapshotKind::Cluster => ctx
                .rds()
                .modify_db_cluster_snapshot_attribute()
                .db_cluster_snapshot_identifier(id)
                .attribute_name("restore")
                .values_to_remove("all")
                .send()
                .await
                .map(|_| ())
                .map_err(|e| RemediationError::aws("ModifyDBClusterSnapshotAttribute", &e)),
        }
    }

    /// Starts an encrypted copy of `from`, named `to`, with its tags. A copy
    /// of that name made meanwhile (by a parallel run) is not an error.
    pub(crate) async fn copy_encrypted(
        self,
        ctx: &Context,
        from: &str,
        to: &str,
        key: &str,
    ) -> Result<(), RemediationError> {
        let exists = |code: Option<&str>| code.is_some_and(|c| c.contains("AlreadyExists"));
        match self {
            SnapshotKind::Instance => match ctx
                .rds()
                .copy_db_snapshot()
                .source_db_snapshot_identifier(from)
                .target_db_snapshot_identifier(to)
                .kms_key_id(key)
                .copy_tags(true)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if exists(crate::error::code_of(&e)) => Ok(()),
                Err(e) => Err(RemediationError::aws("CopyDBSnapshot", &e)),
            },
            SnapshotKind::Cluster => match ctx
                .rds()
                .copy_db_cluster_snapshot()
                .source_db_cluster_snapshot_identifier(from)
                .target_db_cluster_snapshot_identifier(to)
                .kms_key_id(key)
                .copy_tags(true)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if exists(crate::error::code_of(&e)) => Ok(()),
                Err(e) => Err(RemediationError::aws("CopyDBClusterSnapshot", &e)),
            },
        }
    }

    /// Deletes the snapshot.
    pub(crate) async fn delete(self, ctx: &Context, id: &str) -> Result<(), RemediationError> {
        match self {
            SnapshotKind::Instance => ctx
                .rds()
                .delete_db_snapshot()
                .db_snapshot_identifier(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| RemediationError::aws("DeleteDBSnapshot", &e)),
            SnapshotKind::Cluster => ctx
                .rds()
                .delete_db_cluster_snapshot()
                .db_cluster_snapshot_identifier(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| RemediationError::aws("DeleteDBClusterSnapshot", &e)),
        }
    }
}

/// Whether a setting is on, on its way on, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// On.
    On,
    /// Off, with the change to on pending for the maintenance window.
    Pending,
    /// Off.
    Off,
}

impl State {
    fn of(current: Option<bool>, pending: Option<bool>) -> State {
        match (current, pending) {
            (Some(true), _) => State::On,
            (_, Some(true)) => State::Pending,
            _ => State::Off,
        }
    }
}

/// The boolean settings the turn-on controls set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setting {
    /// RDS.7, RDS.8.
    DeletionProtection,
    /// RDS.10, RDS.12.
    IamAuthentication,
    /// RDS.16, RDS.17.
    CopyTagsToSnapshot,
    /// RDS.13.
    AutoMinorVersionUpgrade,
}

impl Setting {
    /// What it is, in words.
    pub(crate) fn words(self) -> &'static str {
        match self {
            Setting::DeletionProtection => "deletion protection",
            Setting::IamAuthentication => "IAM database authentication",
            Setting::CopyTagsToSnapshot => "copying tags to snapshots",
            Setting::AutoMinorVersionUpgrade => "automatic minor version upgrades",
        }
    }

    /// Whether RDS applies it in the maintenance window unless told to
    /// apply it now; the others take effect at once whatever the request.
    fn waits_for_window(self) -> bool {
        self == Setting::IamAuthentication
    }

    /// Whether an instance in a cluster takes it from the cluster (Aurora,
    /// Multi-AZ DB clusters): then only the cluster's control can fix it.
    fn is_the_clusters(self) -> bool {
        self != Setting::AutoMinorVersionUpgrade
    }

    fn of_instance(self, instance: &DbInstance) -> State {
        let pending = instance.pending_modified_values();
        match self {
            Setting::DeletionProtection => State::of(instance.deletion_protection(), None),
            Setting::IamAuthentication => State::of(
                instance.iam_database_authentication_enabled(),
                pending.and_then(|p| p.iam_database_authentication_enabled()),
            ),
            Setting::CopyTagsToSnapshot => State::of(instance.copy_tags_to_snapshot(), None),
            Setting::AutoMinorVersionUpgrade => {
                State::of(instance.auto_minor_version_upgrade(), None)
            }
        }
    }

    fn of_cluster(self, cluster: &DbCluster) -> State {
        let pending = cluster.pending_modified_values();
        match self {
            Setting::DeletionProtection => State::of(cluster.deletion_protection(), None),
            Setting::IamAuthentication => State::of(
                cluster.iam_database_authentication_enabled(),
                pending.and_then(|p| p.iam_database_authentication_enabled()),
            ),
            Setting::CopyTagsToSnapshot => State::of(cluster.copy_tags_to_snapshot(), None),
            Setting::AutoMinorVersionUpgrade => {
                State::of(cluster.auto_minor_version_upgrade(), None)
            }
        }
    }
}

/// DB instances or DB clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// `AwsRdsDbInstance`, changed with `ModifyDBInstance`.
    Instance,
    /// `AwsRdsDbCluster`, changed with `ModifyDBCluster`.
    Cluster,
}

impl Target {
    fn words(self) -> &'static str {
        match self {
            Target::Instance => "DB instance",
            Target::Cluster => "DB cluster",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Target::Instance => "rds:ModifyDBInstance",
            Target::Cluster => "rds:ModifyDBCluster",
        }
    }
}

/// A control that turns one boolean setting of a DB instance or cluster
/// on, and nothing else (RDS.7, RDS.8, RDS.10, RDS.12, RDS.13, RDS.16,
/// RDS.17).
pub(crate) struct TurnOn {
    /// The control.
    pub(crate) meta: &'static ControlMeta,
    /// The setting.
    pub(crate) setting: Setting,
    /// Instances or clusters.
    pub(crate) target: Target,
}

/// A database as the turn-on controls see it.
struct Database {
    state: State,
    window: Option<String>,
    /// The cluster an instance takes the setting from, if any.
    cluster: Option<String>,
}

impl TurnOn {
    async fn read(&self, ctx: &Context, id: &str) -> Result<Database, RemediationError> {
        Ok(match self.target {
            Target::Instance => {
                database_of_instance(self.setting, &describe_instance(ctx, id).await?)
            }
            Target::Cluster => database_of_cluster(self.setting, &describe_cluster(ctx, id).await?),
        })
    }

    /// The database, once available, unless the setting is on already or
    /// is the cluster's: those need no wait.
    async fn read_for_change(
        &self,
        ctx: &Context,
        id: &str,
    ) -> Result<Readiness<Database>, RemediationError> {
        let setting = self.setting;
        Ok(match self.target {
            Target::Instance => {
                let instance = describe_instance(ctx, id).await?;
                let database = database_of_instance(setting, &instance);
                if database.state == State::On || database.cluster.is_some() {
                    return Ok(Readiness::Ready(database));
                }
                match available_instance(ctx, instance).await? {
                    Readiness::Ready(i) => Readiness::Ready(database_of_instance(setting, &i)),
                    Readiness::Busy(status) => Readiness::Busy(status),
                }
            }
            Target::Cluster => {
                let cluster = describe_cluster(ctx, id).await?;
                let database = database_of_cluster(setting, &cluster);
                if database.state == State::On {
                    return Ok(Readiness::Ready(database));
                }
                match available_cluster(ctx, cluster).await? {
                    Readiness::Ready(c) => Readiness::Ready(database_of_cluster(setting, &c)),
                    Readiness::Busy(status) => Readiness::Busy(status),
                }
            }
        })
    }
}

fn database_of_instance(setting: Setting, instance: &DbInstance) -> Database {
    Database {
        state: setting.of_instance(instance),
        window: instance.preferred_maintenance_window().map(str::to_owned),
        cluster: instance
            .db_cluster_identifier()
            .filter(|_| setting.is_the_clusters())
            .map(str::to_owned),
    }
}

fn database_of_cluster(setting: Setting, cluster: &DbCluster) -> Database {
    Database {
        state: setting.of_cluster(cluster),
        window: cluster.preferred_maintenance_window().map(str::to_owned),
        cluster: None,
    }
}

#[async_trait]
impl Remediation for TurnOn {
    fn meta(&self) -> &'static ControlMeta {
        self.meta
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, self.meta.ids);
        let id = identifier(finding, self.meta)?;
        let (what, setting) = (self.target.words(), self.setting.words());
        let database = match self.read_for_change(ctx, &id).await? {
            Readiness::Ready(database) => database,
            Readiness::Busy(status) => return Ok(busy(ctx, control, what, &id, &status)),
        };
        if database.state == State::On {
            return Ok(Plan::compliant(control, id));
        }
        if let Some(cluster) = &database.cluster {
            return Err(RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!(
                    "{what} {id} is in DB cluster {cluster}, whose {setting} it has: the cluster's control turns it on"
                ),
            });
        }
        match database.state {
            State::On => return Ok(Plan::compliant(control, id)),
            State::Pending => {
                return Ok(Plan::not_yet(
                    control,
                    id,
                    next_window_end(database.window.as_deref(), ctx.now()),
                    format!("{setting} is already set to be turned on in the maintenance window"),
                ))
            }
            State::Off => {}
        }
        let when = if self.setting.waits_for_window() {
            timing(ctx, database.window.as_deref())
        } else {
            "now".to_owned()
        };
        let change = Plan::change(
            self.target.action(),
            format!("turn on {setting} of {what} {id}, {when}"),
        );
        Ok(Plan::changes(
            control,
            id,
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let id = &plan.resource;
        let immediately = self
            .setting
            .waits_for_window()
            .then_some(ctx.settings.rds_apply_immediately);
        match self.target {
            Target::Instance => {
                let request = ctx.rds().modify_db_instance().db_instance_identifier(id);
                let request = match self.setting {
                    Setting::DeletionProtection => request.deletion_protection(true),
                    Setting::IamAuthentication => request.enable_iam_database_authentication(true),
                    Setting::CopyTagsToSnapshot => request.copy_tags_to_snapshot(true),
                    Setting::AutoMinorVersionUpgrade => request.auto_minor_version_upgrade(true),
                };
                request
                    .set_apply_immediately(immediately)
                    .send()
                    .await
                    .map_err(|e| RemediationError::aws("ModifyDBInstance", &e))?;
            }
            Target::Cluster => {
                let request = ctx.rds().modify_db_cluster().db_cluster_identifier(id);
                let request = match self.setting {
                    Setting::DeletionProtection => request.deletion_protection(true),
                    Setting::IamAuthentication => request.enable_iam_database_authentication(true),
                    Setting::CopyTagsToSnapshot => request.copy_tags_to_snapshot(true),
                    Setting::AutoMinorVersionUpgrade => request.auto_minor_version_upgrade(true),
                };
                request
                    .set_apply_immediately(immediately)
                    .send()
                    .await
                    .map_err(|e| RemediationError::aws("ModifyDBCluster", &e))?;
            }
        }
        let when = match immediately {
            Some(false) => " in the next maintenance window",
            _ => "",
        };
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on {} of {} {id}{when}.",
                self.setting.words(),
                self.target.words()
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let id = identifier(finding, self.meta)?;
        // Pending for the maintenance window counts: soar's part is done.
        Ok(self.read(ctx, &id).await?.state != State::Off)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Mocks of DB instances and clusters, for the controls' tests.

    use aws_sdk_rds::operation::describe_db_clusters::{
        DescribeDBClustersError, DescribeDbClustersOutput,
    };
    use aws_sdk_rds::operation::describe_db_instances::{
        DescribeDBInstancesError, DescribeDbInstancesOutput,
    };
    use aws_sdk_rds::operation::modify_db_cluster::{
        ModifyDBClusterError, ModifyDbClusterInput, ModifyDbClusterOutput,
    };
    use aws_sdk_rds::operation::modify_db_instance::{
        ModifyDBInstanceError, ModifyDbInstanceInput, ModifyDbInstanceOutput,
    };
    use aws_sdk_rds::types::{DbCluster, DbInstance};
    use aws_sdk_rds::Client;

    use super::*;
    use crate::testkit::{
        assert_fixed_once, aws_error, finding_for, mock, mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    /// The instance and cluster of the tests.
    pub(crate) const DB: &str = "orders";
    pub(crate) const DB_ARN: &str = "arn:aws:rds:us-east-1:111111111111:db:orders";
    pub(crate) const CLUSTER_ID: &str = "orders-cluster";
    pub(crate) const CLUSTER_ARN: &str =
        "arn:aws:rds:us-east-1:111111111111:cluster:orders-cluster";
    /// Its maintenance window: Sundays 05:00 to 05:30 UTC.
    pub(crate) const WINDOW: &str = "sun:05:00-sun:05:30";

    pub(crate) fn instance_finding(control: &str) -> Finding {
        finding_for(control, INSTANCE, DB_ARN)
    }

    pub(crate) fn cluster_finding(control: &str) -> Finding {
        finding_for(control, CLUSTER, CLUSTER_ARN)
    }

    /// An available instance, as `edit` makes it.
    pub(crate) fn instance(
        edit: impl Fn(
            aws_sdk_rds::types::builders::DbInstanceBuilder,
        ) -> aws_sdk_rds::types::builders::DbInstanceBuilder,
    ) -> DbInstance {
        edit(
            DbInstance::builder()
                .db_instance_identifier(DB)
                .db_instance_arn(DB_ARN)
                .db_instance_status("available")
                .engine("postgres")
                .preferred_maintenance_window(WINDOW),
        )
        .build()
    }

    /// An available cluster, as `edit` makes it.
    pub(crate) fn cluster(
        edit: impl Fn(
            aws_sdk_rds::types::builders::DbClusterBuilder,
        ) -> aws_sdk_rds::types::builders::DbClusterBuilder,
    ) -> DbCluster {
        edit(
            DbCluster::builder()
                .db_cluster_identifier(CLUSTER_ID)
                .db_cluster_arn(CLUSTER_ARN)
                .status("available")
                .engine("aurora-postgresql")
                .preferred_maintenance_window(WINDOW),
        )
        .build()
    }

    /// DescribeDBInstances of the instance: `before` for the plan's reads
    /// (`plan_reads` of them), then `after` for every later read.
    pub(crate) fn instances(before: DbInstance, plan_reads: usize, after: DbInstance) -> Rule {
        let mut rule = mock!(Client::describe_db_instances)
            .match_requests(|r| r.db_instance_identifier() == Some(DB))
            .sequence();
        for _ in 0..plan_reads {
            let before = before.clone();
            rule = rule.output(move || {
                DescribeDbInstancesOutput::builder()
                    .db_instances(before.clone())
                    .build()
            });
        }
        rule.output(move || {
            DescribeDbInstancesOutput::builder()
                .db_instances(after.clone())
                .build()
        })
        .repeatedly()
        .build()
    }

    /// DescribeDBClusters of the cluster, as [`instances`].
    pub(crate) fn clusters(before: DbCluster, plan_reads: usize, after: DbCluster) -> Rule {
        let mut rule = mock!(Client::describe_db_clusters)
            .match_requests(|r| r.db_cluster_identifier() == Some(CLUSTER_ID))
            .sequence();
        for _ in 0..plan_reads {
            let before = before.clone();
            rule = rule.output(move || {
                DescribeDbClustersOutput::builder()
                    .db_clusters(before.clone())
                    .build()
            });
        }
        rule.output(move || {
            DescribeDbClustersOutput::builder()
                .db_clusters(after.clone())
                .build()
        })
        .repeatedly()
        .build()
    }

    pub(crate) fn instance_gone() -> Rule {
        mock!(Client::describe_db_instances).then_error(|| {
            DescribeDBInstancesError::generic(aws_error(
                "DBInstanceNotFound",
                "DBInstance orders not found.",
            ))
        })
    }

    pub(crate) fn cluster_gone() -> Rule {
        mock!(Client::describe_db_clusters).then_error(|| {
            DescribeDBClustersError::generic(aws_error(
                "DBClusterNotFoundFault",
                "DBCluster orders-cluster not found.",
            ))
        })
    }

    /// ModifyDBInstance of the instance matching `wanted`, answered with
    /// the instance, after one throttling error when `throttle_first`.
    pub(crate) fn modify_instance(
        wanted: impl Fn(&ModifyDbInstanceInput) -> bool + Send + Sync + 'static,
        throttle_first: bool,
    ) -> Rule {
        let rule = mock!(Client::modify_db_instance)
            .match_requests(move |r| r.db_instance_identifier() == Some(DB) && wanted(r))
            .sequence();
        let rule = if throttle_first {
            rule.error(|| ModifyDBInstanceError::generic(aws_error("Throttling", "Rate exceeded")))
        } else {
            rule
        };
        rule.output(|| ModifyDbInstanceOutput::builder().build())
            .build()
    }

    /// ModifyDBInstance refused.
    pub(crate) fn instance_change_denied() -> Rule {
        mock!(Client::modify_db_instance).then_error(|| {
            ModifyDBInstanceError::generic(aws_error("AccessDenied", "not authorized"))
        })
    }

    /// ModifyDBCluster of the cluster matching `wanted`, as
    /// [`modify_instance`].
    pub(crate) fn modify_cluster(
        wanted: impl Fn(&ModifyDbClusterInput) -> bool + Send + Sync + 'static,
        throttle_first: bool,
    ) -> Rule {
        let rule = mock!(Client::modify_db_cluster)
            .match_requests(move |r| r.db_cluster_identifier() == Some(CLUSTER_ID) && wanted(r))
            .sequence();
        let rule = if throttle_first {
            rule.error(|| ModifyDBClusterError::generic(aws_error("Throttling", "Rate exceeded")))
        } else {
            rule
        };
        rule.output(|| ModifyDbClusterOutput::builder().build())
            .build()
    }

    /// Nothing but `setting` in an instance change, and `ApplyImmediately`
    /// only for a setting that waits for the window.
    fn instance_change_is(setting: Setting, r: &ModifyDbInstanceInput) -> bool {
        let on = |value: Option<bool>, mine: Setting| value == (setting == mine).then_some(true);
        on(r.deletion_protection(), Setting::DeletionProtection)
            && on(
                r.enable_iam_database_authentication(),
                Setting::IamAuthentication,
            )
            && on(r.copy_tags_to_snapshot(), Setting::CopyTagsToSnapshot)
            && on(
                r.auto_minor_version_upgrade(),
                Setting::AutoMinorVersionUpgrade,
            )
            && r.apply_immediately() == setting.waits_for_window().then_some(false)
            && r.multi_az().is_none()
            && r.publicly_accessible().is_none()
            && r.backup_retention_period().is_none()
            && r.db_parameter_group_name().is_none()
    }

    fn cluster_change_is(setting: Setting, r: &ModifyDbClusterInput) -> bool {
        let on = |value: Option<bool>, mine: Setting| value == (setting == mine).then_some(true);
        on(r.deletion_protection(), Setting::DeletionProtection)
            && on(
                r.enable_iam_database_authentication(),
                Setting::IamAuthentication,
            )
            && on(r.copy_tags_to_snapshot(), Setting::CopyTagsToSnapshot)
            && on(
                r.auto_minor_version_upgrade(),
                Setting::AutoMinorVersionUpgrade,
            )
            && r.apply_immediately() == setting.waits_for_window().then_some(false)
            && r.backup_retention_period().is_none()
            && r.db_cluster_parameter_group_name().is_none()
    }

    fn with(setting: Setting, on: bool) -> (DbInstance, DbCluster) {
        let instance = instance(|b| match setting {
            Setting::DeletionProtection => b.deletion_protection(on),
            Setting::IamAuthentication => b.iam_database_authentication_enabled(on),
            Setting::CopyTagsToSnapshot => b.copy_tags_to_snapshot(on),
            Setting::AutoMinorVersionUpgrade => b.auto_minor_version_upgrade(on),
        });
        let cluster = cluster(|b| match setting {
            Setting::DeletionProtection => b.deletion_protection(on),
            Setting::IamAuthentication => b.iam_database_authentication_enabled(on),
            Setting::CopyTagsToSnapshot => b.copy_tags_to_snapshot(on),
            Setting::AutoMinorVersionUpgrade => b.auto_minor_version_upgrade(on),
        });
        (instance, cluster)
    }

    /// Success, already compliant, gone, denied and throttled, for a
    /// turn-on control.
    pub(crate) async fn check_turn_on_cases(control: &TurnOn) {
        let id = control.meta.ids[0];
        let (setting, target) = (control.setting, control.target);
        let (off_i, off_c) = with(setting, false);
        let (on_i, on_c) = with(setting, true);
        let read = |before: bool, after: bool| match target {
            Target::Instance => instances(
                if before { on_i.clone() } else { off_i.clone() },
                1,
                if after { on_i.clone() } else { off_i.clone() },
            ),
            Target::Cluster => clusters(
                if before { on_c.clone() } else { off_c.clone() },
                1,
                if after { on_c.clone() } else { off_c.clone() },
            ),
        };
        let write = |throttle_first: bool| match target {
            Target::Instance => {
                modify_instance(move |r| instance_change_is(setting, r), throttle_first)
            }
            Target::Cluster => {
                modify_cluster(move |r| cluster_change_is(setting, r), throttle_first)
            }
        };
        let finding = match target {
            Target::Instance => instance_finding(id),
            Target::Cluster => cluster_finding(id),
        };
        let run = |rules: Vec<Rule>| {
            let finding = finding.clone();
            async move {
                let refs: Vec<&Rule> = rules.iter().collect();
                let (ctx, recorder) = mock_context(RuleMode::MatchAny, &refs);
                let report: Report = remediate(control, &ctx, &finding, Mode::Apply).await;
                (report, recorder, rules)
            }
        };

        // Success: the one setting written, once.
        let (report, recorder, rules) = run(vec![read(false, true), write(false)]).await;
        assert_fixed_once(control.meta, &report, &rules[1], &recorder);
        assert!(
            report.changes[0].description.contains(setting.words()),
            "{id}: {report:?}"
        );

        // Already on: no write.
        let (report, _, rules) = run(vec![read(true, true), write(false)]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant, "{id}");
        assert_eq!(rules[1].num_calls(), 0, "{id}");

        // Deleted: suppressed, with RDS's reason.
        let gone = match target {
            Target::Instance => instance_gone(),
            Target::Cluster => cluster_gone(),
        };
        let (report, _, _) = run(vec![gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NotFound")),
            "{id}: {report:?}"
        );

        // Denied: a ticket naming the operation and the reason.
        let denied = match target {
            Target::Instance => instance_change_denied(),
            Target::Cluster => mock!(Client::modify_db_cluster).then_error(|| {
                ModifyDBClusterError::generic(aws_error("AccessDenied", "not authorized"))
            }),
        };
        let (report, _, _) = run(vec![read(false, false), denied]).await;
        let operation = match target {
            Target::Instance => "ModifyDBInstance",
            Target::Cluster => "ModifyDBCluster",
        };
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains(&format!("{operation} failed (access denied)"))
                    && reason.contains("not authorized")),
            "{id}: {report:?}"
        );

        // Throttled: retried by the SDK, then written.
        let (report, _, rules) = run(vec![read(false, true), write(true)]).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{id}: {report:?}"
        );
        assert_eq!(rules[1].num_calls(), 2, "{id}");

        // Busy through every read: reconsidered later, nothing written.
        let mut busy_instance = off_i.clone();
        busy_instance.db_instance_status = Some("backing-up".to_owned());
        let mut busy_cluster = off_c.clone();
        busy_cluster.status = Some("backing-up".to_owned());
        let busy_read = match target {
            Target::Instance => instances(busy_instance.clone(), 0, busy_instance),
            Target::Cluster => clusters(busy_cluster.clone(), 0, busy_cluster),
        };
        let (report, _, rules) = run(vec![busy_read, write(false)]).await;
        assert!(
            matches!(report.outcome, Outcome::ReconsiderLater { .. }),
            "{id}: {report:?}"
        );
        let attempts = crate::Settings::default().rds_wait_attempts as usize;
        assert_eq!(
            (rules[0].num_calls(), rules[1].num_calls()),
            (attempts, 0),
            "{id}"
        );

        // An instance whose cluster holds the setting: a ticket naming it.
        if target == Target::Instance && setting.is_the_clusters() {
            let mut member = off_i.clone();
            member.db_cluster_identifier = Some(CLUSTER_ID.to_owned());
            let (report, _, rules) =
                run(vec![instances(member.clone(), 0, member), write(false)]).await;
            assert!(
                matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains(CLUSTER_ID)),
                "{id}: {report:?}"
            );
            assert_eq!(rules[1].num_calls(), 0, "{id}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_window_end_is_the_coming_one() {
        // 2026-12-01 is a Tuesday.
        let tuesday_noon = Timestamp::parse("2026-12-01T12:00:00Z").unwrap();
        let cases = [
            ("sun:05:00-sun:05:30", "2026-12-06T05:30:00Z"),
            // In a window: the end of this one, then the next if need be.
            ("tue:11:00-tue:13:00", "2026-12-01T13:00:00Z"),
            ("tue:12:00-tue:12:30", "2026-12-01T12:30:00Z"),
            ("Mon:23:30-Tue:00:30", "2026-12-08T00:30:00Z"),
        ];
        for (window, end) in cases {
            assert_eq!(
                next_window_end(Some(window), tuesday_noon).to_string(),
                end,
                "{window}"
            );
        }
        // Unreadable or missing: a week.
        for window in [None, Some("someday"), Some("sun:25:00-sun:26:00")] {
            assert_eq!(
                next_window_end(window, tuesday_noon).to_string(),
                "2026-12-08T12:00:00Z",
                "{window:?}"
            );
        }
    }

    #[test]
    fn rds_arns_name_the_database_colons_included() {
        assert_eq!(
            arn_name("arn:aws:rds:us-east-1:111111111111:db:orders"),
            Some("orders")
        );
        assert_eq!(
            arn_name("arn:aws:rds:us-east-1:111111111111:snapshot:rds:orders-2026-11-30-05-10"),
            Some("rds:orders-2026-11-30-05-10")
        );
        assert_eq!(arn_name("orders"), None);
        assert_eq!(arn_name("arn:aws:s3:::orders"), None);
    }

    /// The resource IDs of the published RDS findings in `testdata/asff`.
    #[test]
    fn published_findings_name_their_snapshots_and_databases() {
        use crate::testkit::finding_for;
        let meta = |resource_type: &'static str| ControlMeta {
            ids: &["RDS.1"],
            title: "",
            service: crate::Service::Rds,
            resource_type,
            iam_actions: &[],
            destructive: false,
            exemption_tag: None,
        };
        let snapshots = [
            (
                CLUSTER_SNAPSHOT,
                "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds-snapshot-for-sharr-testing",
                SnapshotKind::Cluster,
                "rds-snapshot-for-sharr-testing",
            ),
            (
                SNAPSHOT,
                "arn:aws:rds:us-east-1:111111111111:snapshot:rds:database-1-2022-03-19-08-12",
                SnapshotKind::Instance,
                "rds:database-1-2022-03-19-08-12",
            ),
        ];
        for (resource_type, id, kind, name) in snapshots {
            let finding = finding_for("RDS.4", resource_type, id);
            let found = snapshot(&finding, &meta(SNAPSHOT)).unwrap();
            assert_eq!(found, (kind, name.to_owned()), "{id}");
        }
        let databases = [
            (
                INSTANCE,
                "arn:aws:rds:us-east-1:111111111111:db:database-1",
                "database-1",
            ),
            (
                CLUSTER,
                "arn:aws:rds:us-east-1:111111111111:cluster:zva",
                "zva",
            ),
        ];
        for (resource_type, id, name) in databases {
            let finding = finding_for("RDS.2", resource_type, id);
            assert_eq!(
                identifier(&finding, &meta(resource_type)).unwrap(),
                name,
                "{id}"
            );
        }
    }
}

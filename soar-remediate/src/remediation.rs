//! The [`Remediation`] trait and what passes through it: [`ControlMeta`],
//! [`Plan`], [`Outcome`].
//!
//! A remediation is four methods. `meta` says what the control is and what
//! it may do; `plan` reads the resource and says what would change (it never
//! writes); `apply` makes exactly those changes; `verify` reads the resource
//! again and says whether the control now passes. [`crate::remediate`] drives the
//! four and turns every error into an [`Outcome`], so no failure is silent.
//!
//! # Contract, and the traps
//!
//! - **`plan` only reads.** A dry run is `plan` alone, and the plan is shown
//!   to people before anything changes. A write in `plan` breaks both.
//! - **Already compliant is not an error.** `plan` returns
//!   [`PlanState::AlreadyCompliant`] and `apply` is never called, so running a
//!   remediation twice makes no second write.
//! - **A resource that is gone is not a failure.** Return the SDK error;
//!   [`crate::remediate`] turns a not-found error into [`Outcome::Suppress`]
//!   when the lookup ran in the finding's own account and Region, and into
//!   a ticket anywhere else.
//! - **Act only through the [`Context`](crate::Context).** Its clients are
//!   in the finding's account and Region; build ARNs with
//!   [`Context::partition`](crate::Context::partition), never a literal
//!   `arn:aws`, and pass the account as `expected_bucket_owner` on S3 calls.
//! - **Do not retry throttling yourself.** The SDK clients from
//!   [`Context`](crate::Context) retry throttled calls with the one retry
//!   policy, configured with the SDK configuration.
//! - **Declare every IAM action** the SDK calls need in
//!   [`ControlMeta::iam_actions`]: the registry's IAM policy is built from
//!   them, and the test kit checks the calls a control makes against them.
//! - **`apply` gets the plan, not the finding.** Put what `apply` needs in
//!   [`Plan::data`]: a plan may be made in one Step Functions state and
//!   applied in another, so it must stand alone as JSON.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use soar_asff::Finding;

use crate::context::Context;
use crate::error::RemediationError;

/// The AWS service a control acts on. Serialised as its name (`"s3"`,
/// `"elbv2"`), the same as its [`Display`](fmt::Display).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Service {
    /// Amazon S3 (and S3 Control for account settings).
    S3,
    /// AWS KMS.
    Kms,
    /// Amazon ECR.
    Ecr,
    /// Amazon DynamoDB.
    DynamoDb,
    /// Amazon EC2: instances, EBS, security groups, VPCs.
    Ec2,
    /// Elastic Load Balancing: Application, Network and Gateway Load
    /// Balancers (the elbv2 API; its IAM prefix is `elasticloadbalancing`).
    Elbv2,
    /// Amazon ECS.
    Ecs,
    /// AWS IAM.
    Iam,
    /// Amazon RDS: DB instances, DB clusters and their snapshots.
    Rds,
    /// A service of a user-defined control that soar does not know.
    Other(&'static str),
}

impl Serialize for Service {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::S3 => "s3",
            Service::Kms => "kms",
            Service::Ecr => "ecr",
            Service::DynamoDb => "dynamodb",
            Service::Ec2 => "ec2",
            Service::Elbv2 => "elbv2",
            Service::Ecs => "ecs",
            Service::Iam => "iam",
            Service::Rds => "rds",
            Service::Other(name) => name,
        })
    }
}

/// What a control is and what it may do. Everything soar derives (the
/// registry, the IAM policy, the catalogue, the Step Functions dispatch)
/// comes from here. Serialised with these field names, as `soar controls
/// --json` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ControlMeta {
    /// The Security Hub control IDs this remediation fixes, such as `["S3.2", "S3.8"]`.
    pub ids: &'static [&'static str],
    /// What the control requires, in a few words.
    pub title: &'static str,
    /// The service acted on.
    pub service: Service,
    /// The ASFF resource type the control is about, such as `AwsS3Bucket`.
    pub resource_type: &'static str,
    /// Every IAM action the remediation's calls need.
    pub iam_actions: &'static [&'static str],
    /// Whether it deletes, terminates or releases something. Destructive
    /// remediations run only when the configuration allows them.
    pub destructive: bool,
    /// A resource tag that exempts a resource: when it is set to `true`, the
    /// finding is suppressed instead of fixed.
    pub exemption_tag: Option<&'static str>,
}

/// Whether a plan has anything to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PlanState {
    /// The resource must change: see [`Plan::changes`].
    NeedsChanges,
    /// The resource already complies; nothing to write.
    AlreadyCompliant,
    /// The resource must not be changed (an exemption tag, an AWS-managed
    /// key): the finding should be suppressed, for this reason.
    Exempt {
        /// Why.
        reason: String,
    },
    /// The resource is not due yet: a destructive control's age gate (an
    /// unused security group is deleted only after 24 hours), or a change
    /// already made that AWS applies later (an RDS change waiting for the
    /// maintenance window, a snapshot copy in progress). The outcome
    /// is [`Outcome::ReconsiderLater`] at `until`, before any write and
    /// whatever `destructive_controls` says.
    NotYet {
        /// When the resource becomes due, RFC 3339.
        until: String,
        /// Why it is not due before.
        reason: String,
    },
}

/// One change a plan makes, for people to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The IAM action that makes it, such as `s3:PutBucketPublicAccessBlock`.
    pub action: String,
    /// What changes, from what to what.
    pub description: String,
}

/// What a remediation would do to one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The control ID from the finding.
    pub control_id: String,
    /// The resource, as the control names it (a bucket name, a key ARN).
    pub resource: String,
    /// Whether there is anything to do.
    #[serde(flatten)]
    pub state: PlanState,
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// What `apply` needs, as JSON, so the plan stands alone.
    pub data: serde_json::Value,
}

impl Plan {
    /// A plan with changes to make.
    pub fn changes(
        control_id: &str,
        resource: impl Into<String>,
        changes: Vec<Change>,
        data: serde_json::Value,
    ) -> Self {
        Plan {
            control_id: control_id.to_owned(),
            resource: resource.into(),
            state: PlanState::NeedsChanges,
            changes,
            data,
        }
    }

    /// A plan for a resource that already complies.
    pub fn compliant(control_id: &str, resource: impl Into<String>) -> Self {
        Plan {
            control_id: control_id.to_owned(),
            resource: resource.into(),
            state: PlanState::AlreadyCompliant,
            changes: Vec::new(),
            data: serde_json::Value::Null,
        }
    }

    /// A plan for a resource that must not be changed.
    pub fn exempt(
        control_id: &str,
        resource: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Plan {
            control_id: control_id.to_owned(),
            resource: resource.into(),
            state: PlanState::Exempt {
                reason: reason.into(),
            },
            changes: Vec::new(),
            data: serde_json::Value::Null,
        }
    }

    /// A plan for a resource that is not due before `until`.
    pub fn not_yet(
        control_id: &str,
        resource: impl Into<String>,
        until: soar_core::Timestamp,
        reason: impl Into<String>,
    ) -> Self {
        Plan {
            control_id: control_id.to_owned(),
            resource: resource.into(),
            state: PlanState::NotYet {
                until: until.to_string(),
                reason: reason.into(),
            },
            changes: Vec::new(),
            data: serde_json::Value::Null,
        }
    }

    /// A change made by `action`.
    pub fn change(action: &str, description: impl Into<String>) -> Change {
        Change {
            action: action.to_owned(),
            description: description.into(),
        }
    }

    /// A member of [`Plan::data`] read as `T` (a list of IDs, a struct the
    /// plan wrote), or an error naming it.
    ///
    /// ```
    /// use soar_remediate::Plan;
    /// let plan = Plan::changes("EC2.1", "111111111111", vec![], serde_json::json!({"snapshots": ["snap-1"]}));
    /// let snapshots: Vec<String> = plan.data_as("snapshots").unwrap();
    /// assert_eq!(snapshots, ["snap-1"]);
    /// let missing = plan.data_as::<Vec<String>>("keys").unwrap_err();
    /// assert!(missing.to_string().contains("has no `keys`"));
    /// let wrong = plan.data_as::<u32>("snapshots").unwrap_err();
    /// assert!(wrong.to_string().contains("`snapshots` cannot be read"));
    /// ```
    ///
    /// # Errors
    /// [`RemediationError::InvalidPlan`] when the member is missing or is
    /// not a `T`.
    pub fn data_as<T: serde::de::DeserializeOwned>(
        &self,
        member: &str,
    ) -> Result<T, RemediationError> {
        let invalid = |reason: String| RemediationError::InvalidPlan {
            control_id: self.control_id.clone(),
            reason,
        };
        let value = self
            .data
            .get(member)
            .ok_or_else(|| invalid(format!("the plan's data has no `{member}`")))?;
        T::deserialize(value)
            .map_err(|e| invalid(format!("the plan's `{member}` cannot be read: {e}")))
    }

    /// A string member of [`Plan::data`], or an error naming it.
    ///
    /// # Errors
    /// [`RemediationError::InvalidPlan`] when the member is missing.
    pub fn data_str(&self, member: &str) -> Result<&str, RemediationError> {
        self.data
            .get(member)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| RemediationError::InvalidPlan {
                control_id: self.control_id.clone(),
                reason: format!("the plan's data has no string `{member}`"),
            })
    }
}

/// How a remediation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The resource was changed and now complies.
    Remediated {
        /// What was done, one line per change.
        actions_taken: Vec<String>,
    },
    /// The resource already complied; nothing was written.
    AlreadyCompliant,
    /// The finding should be suppressed.
    #[serde(rename = "suppressed")]
    Suppress {
        /// Why.
        reason: String,
    },
    /// Try again later.
    ReconsiderLater {
        /// When, RFC 3339.
        until: String,
    },
    /// A person must act: open a ticket.
    Ticket {
        /// Why, including the plan when it was not applied.
        reason: String,
    },
    /// A dry run: the plan was made and nothing was changed.
    Planned,
}

impl Outcome {
    /// The outcome's name as the CLI and Step Functions write it.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Remediated { .. } => "remediated",
            Outcome::AlreadyCompliant => "already_compliant",
            Outcome::Suppress { .. } => "suppressed",
            Outcome::ReconsiderLater { .. } => "reconsider_later",
            Outcome::Ticket { .. } => "ticket",
            Outcome::Planned => "planned",
        }
    }
}

/// One remediation: a Security Hub control and how to fix it.
///
/// See the module documentation for the contract. A complete example is in
/// the guide `docs/writing-a-remediation.md`.
#[async_trait]
pub trait Remediation: Send + Sync {
    /// What the control is and what it may do.
    fn meta(&self) -> &'static ControlMeta;

    /// Reads the resource and says what would change. Never writes.
    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError>;

    /// Makes the plan's changes. Called only for [`PlanState::NeedsChanges`].
    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError>;

    /// Reads the resource again: does the control pass now?
    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError>;

    /// The one step of a control that is not [`ControlMeta::destructive`]
    /// as a whole which deletes something, and runs only when
    /// `destructive_controls` allows the control (IAM.8 deletes unused
    /// credentials; RDS.4 deletes the unencrypted original once its
    /// encrypted copy is verified). The rest of the fix runs whatever that
    /// setting says. `None`, the default, for controls without such a step.
    fn destructive_step(&self) -> Option<&'static str> {
        None
    }
}

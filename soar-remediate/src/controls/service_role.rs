//! The fixed-name roles that AWS services assume for soar's fixes (EC2.6's
//! flow-log delivery, RDS.6's enhanced monitoring): found by name, created
//! once per account, and reused after.
//!
//! Their names are fixed so that the IAM policy can grant the role actions
//! on those names only (see [`crate::iam::resource_scope`]): a remediation
//! that could create and pass any role could grant itself anything.

use serde_json::json;
use soar_core::error_class::ErrorClass;

use crate::{Context, RemediationError};

/// The ARN of role `name`, if the account has it.
pub(crate) async fn role_arn(
    ctx: &Context,
    name: &str,
) -> Result<Option<String>, RemediationError> {
    match ctx.iam().get_role().role_name(name).send().await {
        Ok(found) => Ok(found.role().map(|r| r.arn().to_owned())),
        Err(e) if crate::error::code_of(&e) == Some("NoSuchEntity") => Ok(None),
        Err(e) => Err(RemediationError::aws("GetRole", &e)),
    }
}

/// Trust for `service` (`vpc-flow-logs.amazonaws.com`), acting for this
/// account only: the confused-deputy guard AWS recommends.
fn trust_policy(service: &str, account: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": account } }
        }]
    })
}

/// A role just made, or found made by someone else.
pub(crate) enum Role {
    /// Created now: its permissions are still to be given.
    Created(String),
    /// Another run in the same account (a sweep fixes resources in
    /// parallel) created it since the plan: used as is.
    Existing(String),
}

/// Creates role `name`, trusted by `service`.
pub(crate) async fn create_role(
    ctx: &Context,
    name: &str,
    service: &str,
    description: &str,
) -> Result<Role, RemediationError> {
    let created = ctx
        .iam()
        .create_role()
        .role_name(name)
        .description(description)
        .assume_role_policy_document(trust_policy(service, ctx.account_id()).to_string())
        .send()
        .await;
    match created {
        Ok(created) => created
            .role()
            .map(|r| Role::Created(r.arn().to_owned()))
            .ok_or_else(|| RemediationError::Aws {
                operation: "CreateRole",
                class: ErrorClass::Other,
                message: format!("the answer names no role {name}"),
            }),
        Err(e) if crate::error::code_of(&e) == Some("EntityAlreadyExists") => role_arn(ctx, name)
            .await?
            .map(Role::Existing)
            .ok_or_else(|| RemediationError::Aws {
                operation: "GetRole",
                class: ErrorClass::Other,
                message: format!("role {name} exists but cannot be read"),
            }),
        Err(e) => Err(RemediationError::aws("CreateRole", &e)),
    }
}

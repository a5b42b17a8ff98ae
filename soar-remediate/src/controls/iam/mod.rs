//! IAM controls, and what they share: the user a finding names, who soar
//! runs as, and the age of a credential.
//!
//! IAM answers a user it does not know with `NoSuchEntity`, which
//! soar-core classifies as not found: a deleted user's finding is
//! suppressed like any other.

// One `mod` per control file in this directory, and `all()`, from build.rs.
include!(concat!(env!("OUT_DIR"), "/controls/iam.rs"));

use soar_asff::Finding;

use crate::controls::{control_id, resource};
use crate::{Context, ControlMeta, RemediationError};

/// The finding's IAM user: its name and ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub(crate) name: String,
    pub(crate) arn: String,
}

/// The user of the finding's `AwsIamUser` resource: the name from
/// `Details.AwsIamUser.UserName`, else the last segment of the ARN
/// (`arn:aws:iam::<account>:user/<path>/<name>`).
pub(crate) fn user(finding: &Finding, meta: &ControlMeta) -> Result<User, RemediationError> {
    let resource = resource(finding, meta)?;
    let from_details = resource
        .details
        .as_ref()
        .and_then(|d| d.aws_iam_user.as_ref())
        .and_then(|u| u.user_name.clone());
    let from_arn = soar_asff::Arn::parse(&resource.id).ok().and_then(|arn| {
        arn.resource
            .strip_prefix("user/")
            .and_then(|path| path.rsplit('/').next())
            .map(str::to_owned)
    });
    match from_details.or(from_arn) {
        Some(name) if !name.is_empty() => Ok(User {
            name,
            arn: resource.id.clone(),
        }),
        _ => Err(RemediationError::UnsupportedFinding {
            control_id: control_id(finding, meta.ids).to_owned(),
            reason: format!("cannot tell the IAM user from {:?}", resource.id),
        }),
    }
}

/// Refuses to act on the credentials of the principal soar runs as: a
/// remediation that deactivated its own key would fail half way and lock
/// itself out.
pub(crate) async fn not_soar_itself(
    ctx: &Context,
    control: &str,
    user: &User,
) -> Result<(), RemediationError> {
    let me = ctx
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| RemediationError::aws("GetCallerIdentity", &e))?;
    let same_name = me
        .arn()
        .and_then(|arn| soar_asff::Arn::parse(arn).ok())
        .is_some_and(|arn| {
            arn.service == "iam"
                && arn.account == ctx.account_id()
                && arn
                    .resource
                    .strip_prefix("user/")
                    .and_then(|p| p.rsplit('/').next())
                    == Some(user.name.as_str())
        });
    if same_name {
        return Err(RemediationError::CannotFix {
            control_id: control.to_owned(),
            reason: format!(
                "user {} is the principal soar runs as; soar does not change its own credentials",
                user.name
            ),
        });
    }
    Ok(())
}

/// Makes the user's access key `key` inactive: it stops working at once,
/// and `UpdateAccessKey` with `Active` brings it back.
pub(crate) async fn deactivate_key(
    ctx: &Context,
    user_name: &str,
    key: &str,
) -> Result<(), RemediationError> {
    ctx.iam()
        .update_access_key()
        .user_name(user_name)
        .access_key_id(key)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .map_err(|e| RemediationError::aws("UpdateAccessKey", &e))?;
    Ok(())
}

/// Whole days from `then` to the context's now.
pub(crate) fn days_since(ctx: &Context, then: &aws_smithy_types::DateTime) -> i64 {
    (ctx.now().0 - then.secs()).div_euclid(86_400)
}

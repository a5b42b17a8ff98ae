//! The credential exposure playbook.
//!
//! For a user: every active access key is made inactive (it stops working
//! at once, and can be made active again), then an inline policy denies
//! everything to every session issued before now. For a role (an assumed
//! role's temporary keys): the same policy on the role, which is what the
//! IAM console's "Revoke active sessions" does.
//!
//! The policy is conditioned on `aws:TokenIssueTime`, which only temporary
//! credentials carry: sessions (console, `GetSessionToken`, assumed roles)
//! issued before the incident are refused, those issued afterwards work,
//! and requests signed with the user's long-term keys are not matched,
//! which is why the keys are deactivated first.
//!
//! The root user cannot be denied by a policy, and soar never touches the
//! principal it runs as: both are escalated to a person.

use aws_sdk_iam::types::StatusType;
use serde::Serialize;
use serde_json::json;
use soar_asff::{Arn, Finding};
use soar_remediate::{Context, RemediationError};

use super::{PlaybookError, PlaybookPlan, Step};
use crate::classify::{ContainmentSettings, IncidentKind, Response};

/// The IAM actions of the IAM playbook.
pub(crate) const IAM_ACTIONS: &[&str] = &[
    "sts:GetCallerIdentity",
    "iam:ListAccessKeys",
    "iam:GetRole",
    "iam:UpdateAccessKey",
    "iam:PutUserPolicy",
    "iam:PutRolePolicy",
];

/// Whether a principal is a user or a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// An IAM user.
    User,
    /// An IAM role.
    Role,
}

/// The IAM principal whose credentials are exposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// User or role.
    pub kind: PrincipalKind,
    /// Its name.
    pub name: String,
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            PrincipalKind::User => write!(f, "user {}", self.name),
            PrincipalKind::Role => write!(f, "role {}", self.name),
        }
    }
}

/// A step of the credential exposure playbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[non_exhaustive]
pub enum IamStep {
    /// Makes one of the user's access keys inactive.
    DeactivateAccessKey {
        /// The user.
        user_name: String,
        /// The key.
        access_key_id: String,
    },
    /// Puts the inline policy that denies everything to sessions issued
    /// before the step runs, plus [`PROPAGATION_MARGIN_SECONDS`].
    RevokeSessions {
        /// The user or role.
        principal: Principal,
        /// The inline policy's name.
        policy_name: String,
    },
}

/// How far past the moment it is put the revocation's cutoff lies. IAM
/// changes take seconds to reach every endpoint, so a key deactivated a
/// moment ago may still mint a session; the margin refuses those too (and
/// any session issued in it, which is the point of an incident).
pub const PROPAGATION_MARGIN_SECONDS: i64 = 60;

/// The inline policy that denies every action to sessions issued before
/// `issued_before` (RFC 3339).
///
/// ```
/// let policy = soar_incident::revoke_sessions_policy("2026-12-01T20:00:00Z");
/// assert_eq!(
///     policy["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"],
///     "2026-12-01T20:00:00Z"
/// );
/// ```
pub fn revoke_sessions_policy(issued_before: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "SoarRevokeOlderSessions",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": issued_before}}
        }]
    })
}

impl IamStep {
    pub(crate) fn action(&self) -> &'static str {
        match self {
            IamStep::DeactivateAccessKey { .. } => "iam:UpdateAccessKey",
            IamStep::RevokeSessions { principal, .. } => match principal.kind {
                PrincipalKind::User => "iam:PutUserPolicy",
                PrincipalKind::Role => "iam:PutRolePolicy",
            },
        }
    }

    pub(crate) fn description(&self) -> String {
        match self {
            IamStep::DeactivateAccessKey {
                user_name,
                access_key_id,
            } => format!("Deactivate access key {access_key_id} of user {user_name}."),
            IamStep::RevokeSessions {
                principal,
                policy_name,
            } => format!(
                "Deny everything to the sessions of {principal} issued until a minute after this step runs (inline policy {policy_name})."
            ),
        }
    }

    pub(crate) async fn run(&self, ctx: &Context) -> Result<String, PlaybookError> {
        let iam = ctx.iam();
        match self {
            IamStep::DeactivateAccessKey {
                user_name,
                access_key_id,
            } => {
                iam.update_access_key()
                    .user_name(user_name)
                    .access_key_id(access_key_id)
                    .status(StatusType::Inactive)
                    .send()
                    .await
                    .map_err(|e| RemediationError::aws("UpdateAccessKey", &e))?;
                Ok(format!(
                    "Deactivated access key {access_key_id} of user {user_name}."
                ))
            }
            IamStep::RevokeSessions {
                principal,
                policy_name,
            } => {
                // Taken now, after the keys are off, not when planned.
                let issued_before =
                    soar_core::Timestamp(ctx.now().0 + PROPAGATION_MARGIN_SECONDS).to_string();
                let document = revoke_sessions_policy(&issued_before).to_string();
                match principal.kind {
                    PrincipalKind::User => iam
                        .put_user_policy()
                        .user_name(&principal.name)
                        .policy_name(policy_name)
                        .policy_document(document)
                        .send()
                        .await
                        .map(drop)
                        .map_err(|e| RemediationError::aws("PutUserPolicy", &e))?,
                    PrincipalKind::Role => iam
                        .put_role_policy()
                        .role_name(&principal.name)
                        .policy_name(policy_name)
                        .policy_document(document)
                        .send()
                        .await
                        .map(drop)
                        .map_err(|e| RemediationError::aws("PutRolePolicy", &e))?,
                }
                Ok(format!(
                    "Revoked the sessions of {principal} issued before {issued_before} (inline policy {policy_name})."
                ))
            }
        }
    }
}

/// The principal of the finding: the access key's principal
/// (`Details.AwsIamAccessKey`: `PrincipalType` and `PrincipalName`, or the
/// older `UserName`), else the user or role of an `AwsIamUser` or
/// `AwsIamRole` resource.
fn principal(finding: &Finding, account_id: &str) -> Result<Principal, PlaybookError> {
    let cannot = |resource: &str, reason: &str| PlaybookError::CannotContain {
        resource: resource.to_owned(),
        reason: reason.to_owned(),
    };
    for resource in &finding.resources {
        // A principal of another account is not the one to contain here,
        // even if one of the same name exists in this one.
        if let Ok(arn) = Arn::parse(&resource.id) {
            if !arn.account.is_empty() && arn.account != account_id {
                return Err(cannot(
                    &resource.id,
                    &format!(
                        "it is in account {}, not {account_id}, where the playbook acts",
                        arn.account
                    ),
                ));
            }
        }
        let key_account = resource
            .details
            .as_ref()
            .and_then(|d| d.aws_iam_access_key.as_ref())
            .and_then(|d| d.account_id.as_deref())
            .filter(|a| !a.is_empty());
        if let Some(other) = key_account.filter(|a| *a != account_id) {
            return Err(cannot(
                &resource.id,
                &format!(
                    "the key is in account {other}, not {account_id}, where the playbook acts"
                ),
            ));
        }
        let named = |kind| {
            let arn = Arn::parse(&resource.id).ok()?;
            let prefix = match kind {
                PrincipalKind::User => "user/",
                PrincipalKind::Role => "role/",
            };
            let name = arn.resource.strip_prefix(prefix)?.rsplit('/').next()?;
            (!name.is_empty()).then(|| Principal {
                kind,
                name: name.to_owned(),
            })
        };
        match resource.resource_type.as_str() {
            "AwsIamAccessKey" => {
                let details = resource
                    .details
                    .as_ref()
                    .and_then(|d| d.aws_iam_access_key.as_ref());
                let kind = details.and_then(|d| d.principal_type.as_deref());
                let name = details
                    .and_then(|d| d.principal_name.clone().or_else(|| d.user_name.clone()))
                    .filter(|n| !n.is_empty());
                match (kind, name) {
                    (Some("Root"), _) => {
                        return Err(cannot(
                            &resource.id,
                            "the root user's credentials are exposed: no policy can deny the root user, so rotate its credentials and review its MFA by hand",
                        ))
                    }
                    (Some("AssumedRole"), Some(name)) => {
                        // `role/session` in some producers' PrincipalName.
                        let role = name.split('/').next().unwrap_or(&name).to_owned();
                        return Ok(Principal {
                            kind: PrincipalKind::Role,
                            name: role,
                        });
                    }
                    (Some("IAMUser") | None, Some(name)) => {
                        return Ok(Principal {
                            kind: PrincipalKind::User,
                            name,
                        })
                    }
                    (Some(other), _) => {
                        return Err(cannot(
                            &resource.id,
                            &format!("soar has no playbook for {other} credentials"),
                        ))
                    }
                    (None, None) => {}
                }
            }
            "AwsIamUser" => {
                let from_details = resource
                    .details
                    .as_ref()
                    .and_then(|d| d.aws_iam_user.as_ref())
                    .and_then(|u| u.user_name.clone())
                    .filter(|n| !n.is_empty())
                    .map(|name| Principal {
                        kind: PrincipalKind::User,
                        name,
                    });
                if let Some(user) = from_details.or_else(|| named(PrincipalKind::User)) {
                    return Ok(user);
                }
            }
            "AwsIamRole" => {
                if let Some(role) = named(PrincipalKind::Role) {
                    return Ok(role);
                }
            }
            _ => {}
        }
    }
    Err(cannot(
        &finding.id,
        "the finding names no IAM user or role whose credentials could be contained",
    ))
}

/// Whether `caller` (an STS caller ARN) is `principal`: a user's ARN ends
/// `user/<path>/<name>`, an assumed role's `assumed-role/<name>/<session>`.
fn is_caller(caller: &str, account: &str, principal: &Principal) -> bool {
    let Ok(arn) = Arn::parse(caller) else {
        return false;
    };
    if arn.account != account {
        return false;
    }
    match principal.kind {
        PrincipalKind::User => {
            arn.resource
                .strip_prefix("user/")
                .and_then(|p| p.rsplit('/').next())
                == Some(principal.name.as_str())
        }
        PrincipalKind::Role => {
            arn.resource
                .strip_prefix("assumed-role/")
                .and_then(|p| p.split('/').next())
                == Some(principal.name.as_str())
        }
    }
}

pub(crate) async fn plan(
    ctx: &Context,
    finding: &Finding,
    response: Response,
    settings: &ContainmentSettings,
) -> Result<PlaybookPlan, PlaybookError> {
    let principal = principal(finding, ctx.account_id())?;
    let resource = format!(
        "arn:{}:iam::{}:{}/{}",
        ctx.partition(),
        ctx.account_id(),
        match principal.kind {
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
        },
        principal.name
    );
    let me = ctx
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| RemediationError::aws("GetCallerIdentity", &e))?;
    if me
        .arn()
        .is_some_and(|arn| is_caller(arn, ctx.account_id(), &principal))
    {
        return Err(PlaybookError::CannotContain {
            resource,
            reason: format!(
                "{principal} is the principal soar runs as; soar does not revoke its own credentials"
            ),
        });
    }
    let mut steps = Vec::new();
    match principal.kind {
        PrincipalKind::User => {
            let keys = ctx
                .iam()
                .list_access_keys()
                .user_name(&principal.name)
                .send()
                .await
                .map_err(|e| RemediationError::aws("ListAccessKeys", &e))?;
            for key in keys.access_key_metadata() {
                if key.status() == Some(&StatusType::Active) {
                    if let Some(id) = key.access_key_id() {
                        steps.push(IamStep::DeactivateAccessKey {
                            user_name: principal.name.clone(),
                            access_key_id: id.to_owned(),
                        });
                    }
                }
            }
        }
        PrincipalKind::Role => {
            let role = ctx
                .iam()
                .get_role()
                .role_name(&principal.name)
                .send()
                .await
                .map_err(|e| RemediationError::aws("GetRole", &e))?;
            if role
                .role()
                .is_some_and(|r| r.path().starts_with("/aws-service-role/"))
            {
                return Err(PlaybookError::CannotContain {
                    resource,
                    reason: "it is a service-linked role, which takes no inline policy: review the service that uses it".to_owned(),
                });
            }
        }
    }
    // Always put again: each run refuses the sessions issued before it.
    steps.push(IamStep::RevokeSessions {
        principal: principal.clone(),
        policy_name: settings.revoke_sessions_policy_name.clone(),
    });
    let mut notes = vec![format!(
        "Find out how the credentials of {principal} were exposed and what they were used for, then issue new ones; inline policy {} can stay, since it refuses only the sessions issued before the incident.",
        settings.revoke_sessions_policy_name
    )];
    if principal.kind == PrincipalKind::Role {
        notes.push(format!(
            "Every session of {principal} issued before the revocation is refused, those of the instances, functions and services that use the role included, until they next fetch credentials: expect errors from them until then."
        ));
    }
    Ok(PlaybookPlan {
        kind: IncidentKind::IamUser,
        response,
        resource,
        steps: steps.into_iter().map(Step::Iam).collect(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::operation::get_role::{GetRoleError, GetRoleOutput};
    use aws_sdk_iam::operation::list_access_keys::{ListAccessKeysError, ListAccessKeysOutput};
    use aws_sdk_iam::operation::put_role_policy::PutRolePolicyOutput;
    use aws_sdk_iam::operation::put_user_policy::{PutUserPolicyError, PutUserPolicyOutput};
    use aws_sdk_iam::operation::update_access_key::{UpdateAccessKeyError, UpdateAccessKeyOutput};
    use aws_sdk_iam::types::{AccessKeyMetadata, Role};
    use aws_sdk_iam::Client;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    use soar_asff::{AwsIamAccessKeyDetails, Resource, ResourceDetails, SeverityLabel};
    use soar_core::{Scratchpad, Timestamp};
    use soar_remediate::testkit::{aws_error, mock, mock_context, Rule, RuleMode};

    use super::*;
    use crate::playbook::testing::{guardduty, resource};
    use crate::playbook::{apply, plan as plan_for, PlaybookOutcome, PlaybookReport, StepStatus};

    const ACCOUNT: &str = "111111111111";
    const NOW: &str = "2026-12-01T20:00:00Z";
    /// A minute after [`NOW`]: the cutoff of a revocation put then.
    const CUTOFF: &str = "2026-12-01T20:01:00Z";

    fn key(principal_type: Option<&str>, name: &str) -> Resource {
        Resource {
            details: Some(ResourceDetails {
                aws_iam_access_key: Some(Box::new(AwsIamAccessKeyDetails {
                    principal_type: principal_type.map(str::to_owned),
                    principal_name: Some(name.to_owned()),
                    ..AwsIamAccessKeyDetails::default()
                })),
                ..ResourceDetails::default()
            }),
            ..resource("AwsIamAccessKey", "AWS::IAM::AccessKey:AKIAEXPOSED")
        }
    }

    fn finding(resources: Vec<Resource>) -> Finding {
        guardduty(
            "Initial Access/UnauthorizedAccess:IAMUser-TorIPCaller",
            SeverityLabel::High,
            resources,
        )
    }

    fn caller(arn: &'static str) -> Rule {
        mock!(aws_sdk_sts::Client::get_caller_identity)
            .then_output(move || GetCallerIdentityOutput::builder().arn(arn).build())
    }

    fn soar_role() -> Rule {
        caller("arn:aws:sts::111111111111:assumed-role/SoarRemediation/soar")
    }

    fn keys() -> Rule {
        let key = |id: &str, status| {
            AccessKeyMetadata::builder()
                .user_name("alice")
                .access_key_id(id)
                .status(status)
                .build()
        };
        mock!(Client::list_access_keys)
            .match_requests(|r| r.user_name() == Some("alice"))
            .then_output(move || {
                ListAccessKeysOutput::builder()
                    .access_key_metadata(key("AKIAEXPOSED", StatusType::Active))
                    .access_key_metadata(key("AKIAOLD", StatusType::Inactive))
                    .build()
                    .unwrap()
            })
    }

    fn deactivate() -> Rule {
        mock!(Client::update_access_key)
            .match_requests(|r| {
                r.user_name() == Some("alice")
                    && r.access_key_id() == Some("AKIAEXPOSED")
                    && r.status() == Some(&StatusType::Inactive)
            })
            .then_output(|| UpdateAccessKeyOutput::builder().build())
    }

    fn the_policy(name: Option<&str>, document: Option<&str>) -> bool {
        name == Some("soar-revoke-older-sessions")
            && document
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .is_some_and(|d| d == revoke_sessions_policy(CUTOFF))
    }

    fn user_policy() -> Rule {
        mock!(Client::put_user_policy)
            .match_requests(|r| {
                r.user_name() == Some("alice") && the_policy(r.policy_name(), r.policy_document())
            })
            .then_output(|| PutUserPolicyOutput::builder().build())
    }

    fn role(path: &'static str) -> Rule {
        mock!(Client::get_role)
            .match_requests(|r| r.role_name() == Some("web"))
            .then_output(move || {
                let role = Role::builder()
                    .role_name("web")
                    .path(path)
                    .role_id("AROAEXAMPLE")
                    .arn("arn:aws:iam::111111111111:role/web")
                    .create_date(aws_smithy_types::DateTime::from_secs(0))
                    .build()
                    .unwrap();
                GetRoleOutput::builder().role(role).build()
            })
    }

    fn role_policy() -> Rule {
        mock!(Client::put_role_policy)
            .match_requests(|r| {
                r.role_name() == Some("web") && the_policy(r.policy_name(), r.policy_document())
            })
            .then_output(|| PutRolePolicyOutput::builder().build())
    }

    async fn run(finding: &Finding, rules: &[&Rule]) -> Result<PlaybookReport, PlaybookError> {
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, rules);
        let ctx = ctx.with_now(Timestamp::parse(NOW).unwrap());
        let plan = plan_for(
            &ctx,
            finding,
            IncidentKind::IamUser,
            Response::Contain,
            &ContainmentSettings::default(),
        )
        .await?;
        let report = apply(&ctx, plan).await;
        let undeclared = recorder.undeclared(IAM_ACTIONS);
        assert!(undeclared.is_empty(), "undeclared: {undeclared:?}");
        Ok(report)
    }

    #[tokio::test]
    async fn a_users_active_keys_are_deactivated_and_older_sessions_revoked_once() {
        let (me, list, off, policy) = (soar_role(), keys(), deactivate(), user_policy());
        let report = run(
            &finding(vec![key(Some("IAMUser"), "alice")]),
            &[&me, &list, &off, &policy],
        )
        .await
        .unwrap();
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        assert_eq!((off.num_calls(), policy.num_calls()), (1, 1));
        assert_eq!(
            report.resource.as_deref(),
            Some("arn:aws:iam::111111111111:user/alice")
        );
        let mut pad = Scratchpad::new(finding(Vec::new()));
        report.record(&mut pad);
        assert_eq!(
            pad.messages.actions_taken,
            "Deactivated access key AKIAEXPOSED of user alice. Revoked the sessions of user alice issued before 2026-12-01T20:01:00Z (inline policy soar-revoke-older-sessions)."
        );
    }

    #[tokio::test]
    async fn an_assumed_roles_sessions_are_revoked_on_the_role() {
        let (me, get, policy, list) = (soar_role(), role("/"), role_policy(), keys());
        let report = run(
            &finding(vec![key(Some("AssumedRole"), "web")]),
            &[&me, &get, &policy, &list],
        )
        .await
        .unwrap();
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        assert_eq!((policy.num_calls(), list.num_calls()), (1, 0));
        assert_eq!(report.steps[0].action, "iam:PutRolePolicy");
    }

    #[tokio::test]
    async fn the_root_user_soar_itself_and_service_linked_roles_are_escalated_untouched() {
        let policy = user_policy();
        let root = run(&finding(vec![key(Some("Root"), "Root")]), &[&policy])
            .await
            .unwrap_err();
        assert!(
            root.to_string()
                .contains("no policy can deny the root user"),
            "{root}"
        );

        let (me, list) = (caller("arn:aws:iam::111111111111:user/alice"), keys());
        let itself = run(
            &finding(vec![key(Some("IAMUser"), "alice")]),
            &[&me, &list, &policy],
        )
        .await
        .unwrap_err();
        assert!(
            itself.to_string().contains("the principal soar runs as"),
            "{itself}"
        );

        let (me, linked) = (soar_role(), role("/aws-service-role/ecs.amazonaws.com/"));
        let linked = run(
            &finding(vec![key(Some("AssumedRole"), "web")]),
            &[&me, &linked],
        )
        .await
        .unwrap_err();
        assert!(
            linked.to_string().contains("service-linked role"),
            "{linked}"
        );
        assert_eq!((policy.num_calls(), list.num_calls()), (0, 0));
    }

    #[tokio::test]
    async fn a_deleted_principal_is_not_found() {
        let me = soar_role();
        let gone = mock!(Client::list_access_keys).then_error(|| {
            ListAccessKeysError::generic(aws_error(
                "NoSuchEntity",
                "The user with name alice cannot be found.",
            ))
        });
        let error = run(&finding(vec![key(None, "alice")]), &[&me, &gone])
            .await
            .unwrap_err();
        assert!(
            matches!(&error, PlaybookError::Aws(e) if e.is_not_found()),
            "{error}"
        );
        let gone = mock!(Client::get_role).then_error(|| {
            GetRoleError::generic(aws_error(
                "NoSuchEntity",
                "The role with name web cannot be found.",
            ))
        });
        let error = run(
            &finding(vec![key(Some("AssumedRole"), "web")]),
            &[&me, &gone],
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("cannot be found"), "{error}");
    }

    #[tokio::test]
    async fn a_denied_step_stops_the_playbook_and_says_what_is_left() {
        let (me, list, policy) = (soar_role(), keys(), user_policy());
        let refused = mock!(Client::update_access_key).then_error(|| {
            UpdateAccessKeyError::generic(aws_error(
                "AccessDenied",
                "not authorized to perform iam:UpdateAccessKey",
            ))
        });
        let report = run(
            &finding(vec![key(Some("IAMUser"), "alice")]),
            &[&me, &list, &refused, &policy],
        )
        .await
        .unwrap();
        let PlaybookOutcome::Escalated { reason } = &report.outcome else {
            panic!("{report:#?}")
        };
        assert!(
            reason.contains("UpdateAccessKey failed (access denied)"),
            "{reason}"
        );
        assert_eq!(report.steps[1].status, StepStatus::NotRun);
        assert_eq!(policy.num_calls(), 0);
        let mut pad = Scratchpad::new(finding(Vec::new()));
        report.record(&mut pad);
        assert!(pad.actions.autoremediation_not_done);
        assert!(pad
            .messages
            .actions_required
            .contains("Still to do: Deactivate access key AKIAEXPOSED"));

        let (off, denied) = (
            deactivate(),
            mock!(Client::put_user_policy).then_error(|| {
                PutUserPolicyError::generic(aws_error(
                    "AccessDenied",
                    "not authorized to perform iam:PutUserPolicy",
                ))
            }),
        );
        let report = run(
            &finding(vec![key(Some("IAMUser"), "alice")]),
            &[&me, &list, &off, &denied],
        )
        .await
        .unwrap();
        assert!(
            matches!(&report.outcome, PlaybookOutcome::Escalated { reason } if reason.contains("PutUserPolicy failed"))
        );
        assert!(matches!(report.steps[0].status, StepStatus::Done { .. }));
    }

    #[tokio::test]
    async fn a_throttled_policy_write_is_retried() {
        let (me, list, off) = (soar_role(), keys(), deactivate());
        let throttled = mock!(Client::put_user_policy)
            .sequence()
            .error(|| PutUserPolicyError::generic(aws_error("Throttling", "Rate exceeded")))
            .output(|| PutUserPolicyOutput::builder().build())
            .build();
        let report = run(
            &finding(vec![key(Some("IAMUser"), "alice")]),
            &[&me, &list, &off, &throttled],
        )
        .await
        .unwrap();
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        assert_eq!(throttled.num_calls(), 2);
    }

    fn contexts(rules: &[&Rule]) -> soar_remediate::ContextFactory {
        let mut interceptor =
            soar_remediate::testkit::MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in rules {
            interceptor = interceptor.with_rule(rule);
        }
        let sessions = soar_core::aws::AmbientSessions::new(
            soar_remediate::testkit::test_sdk_config(),
            "111111111111",
        );
        soar_remediate::ContextFactory::new(std::sync::Arc::new(sessions)).with_interceptor(
            aws_smithy_runtime_api::client::interceptors::SharedInterceptor::new(interceptor),
        )
    }

    #[tokio::test]
    async fn a_dry_run_plans_in_the_findings_account_and_writes_nothing() {
        let (me, list, off, policy) = (soar_role(), keys(), deactivate(), user_policy());
        let contexts = contexts(&[&me, &list, &off, &policy]);
        let finding = finding(vec![key(Some("IAMUser"), "alice")]);
        let report = crate::respond(
            &finding,
            &crate::IncidentConfig::default(),
            &contexts,
            soar_remediate::Mode::DryRun,
        )
        .await;
        let playbook = &report.playbook;
        assert_eq!(playbook.outcome, PlaybookOutcome::Planned, "{report:#?}");
        assert_eq!(playbook.steps.len(), 2);
        assert!(playbook
            .steps
            .iter()
            .all(|s| s.status == StepStatus::NotRun));
        assert_eq!((off.num_calls(), policy.num_calls()), (0, 0));
        assert_eq!(
            playbook.location.as_ref().map(|l| l.account_id.as_str()),
            Some("111111111111")
        );
        assert_eq!(report.attack.map(|a| a.tactic_id), Some("TA0001"));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["playbook"]["outcome"], "planned");
        assert_eq!(
            json["playbook"]["steps"][0]["change"]["step"],
            "deactivate_access_key"
        );
        assert_eq!(json["playbook"]["steps"][0]["status"], "not_run");
        assert_eq!(json["classification"]["kind"], "IAMUser");
    }

    #[tokio::test]
    async fn another_account_out_of_reach_is_escalated_and_nothing_is_called() {
        let contexts = contexts(&[]);
        let mut finding = finding(vec![resource(
            "AwsIamUser",
            "arn:aws:iam::222222222222:user/alice",
        )]);
        finding.aws_account_id = "222222222222".to_owned();
        let config = crate::IncidentConfig::default();
        let report =
            crate::respond(&finding, &config, &contexts, soar_remediate::Mode::Apply).await;
        let PlaybookOutcome::Escalated { reason } = &report.playbook.outcome else {
            panic!("{report:#?}")
        };
        assert!(reason.contains("222222222222"), "{reason}");
        assert!(report.playbook.steps.is_empty());

        // Notify and ticket responses contain nothing.
        let mut low = finding.clone();
        low.severity = Some(soar_asff::Severity::from_label(SeverityLabel::Low));
        let report = crate::respond(&low, &config, &contexts, soar_remediate::Mode::Apply).await;
        assert!(
            matches!(&report.playbook.outcome, PlaybookOutcome::NotRequired { reason } if reason.contains("ticket")),
            "{report:#?}"
        );
    }

    #[test]
    fn the_principal_comes_from_the_key_details_or_the_user_and_role_arns() {
        let user = |name: &str| Principal {
            kind: PrincipalKind::User,
            name: name.to_owned(),
        };
        let mut legacy = key(None, "ignored");
        if let Some(details) = legacy
            .details
            .as_mut()
            .and_then(|d| d.aws_iam_access_key.as_mut())
        {
            details.principal_name = None;
            details.user_name = Some("kapil".to_owned());
        }
        assert_eq!(
            principal(&finding(vec![legacy]), ACCOUNT).unwrap(),
            user("kapil")
        );
        let with_path = resource("AwsIamUser", "arn:aws:iam::111111111111:user/ops/bob");
        assert_eq!(
            principal(&finding(vec![with_path]), ACCOUNT).unwrap(),
            user("bob")
        );
        let role = resource("AwsIamRole", "arn:aws:iam::111111111111:role/service/web");
        assert_eq!(
            principal(&finding(vec![role]), ACCOUNT).unwrap(),
            Principal {
                kind: PrincipalKind::Role,
                name: "web".to_owned()
            }
        );
        let session = key(Some("AssumedRole"), "web/i-0abc");
        assert_eq!(
            principal(&finding(vec![session]), ACCOUNT).unwrap().name,
            "web"
        );
        assert!(principal(
            &finding(vec![resource("AwsS3Bucket", "arn:aws:s3:::b")]),
            ACCOUNT
        )
        .is_err());
        // A user of another account, even one named like a user here.
        let elsewhere = resource("AwsIamUser", "arn:aws:iam::222222222222:user/bob");
        let error = principal(&finding(vec![elsewhere]), ACCOUNT).unwrap_err();
        assert!(
            error.to_string().contains("in account 222222222222"),
            "{error}"
        );
        let mut foreign_key = key(Some("IAMUser"), "bob");
        if let Some(details) = foreign_key
            .details
            .as_mut()
            .and_then(|d| d.aws_iam_access_key.as_mut())
        {
            details.account_id = Some("222222222222".to_owned());
        }
        assert!(principal(&finding(vec![foreign_key]), ACCOUNT).is_err());
        assert!(is_caller(
            "arn:aws:sts::111111111111:assumed-role/web/s",
            "111111111111",
            &Principal {
                kind: PrincipalKind::Role,
                name: "web".to_owned()
            }
        ));
        assert!(!is_caller(
            "arn:aws:sts::222222222222:assumed-role/web/s",
            "111111111111",
            &Principal {
                kind: PrincipalKind::Role,
                name: "web".to_owned()
            }
        ));
    }
}

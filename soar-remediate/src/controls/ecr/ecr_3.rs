//! ECR.3: keep only the newest images with a lifecycle policy.
//!
//! Destructive: the policy expires (deletes) every image but the newest
//! ones, so it runs only when `Settings::destructive_controls` allows
//! `ECR.3`; otherwise the finding is ticketed with the plan.

use async_trait::async_trait;
use serde_json::json;
use soar_asff::Finding;

use super::repository_name;
use crate::controls::{control_id, optional};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What ECR.3 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ECR.3"],
    title: "ECR repositories have at least one lifecycle policy configured",
    service: Service::Ecr,
    resource_type: "AwsEcrRepository",
    iam_actions: &["ecr:GetLifecyclePolicy", "ecr:PutLifecyclePolicy"],
    // It deletes data: the images it expires are gone for good.
    destructive: true,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(ExpireOldImages)
}

/// Sets a lifecycle policy that expires all but the newest
/// `Settings::ecr_keep_images` images. A repository with any lifecycle
/// policy is left alone: its rules are its owner's. Destructive (see the
/// module documentation).
pub(crate) struct ExpireOldImages;

async fn has_policy(ctx: &Context, name: &str) -> Result<bool, RemediationError> {
    let found = optional(
        "GetLifecyclePolicy",
        ctx.ecr()
            .get_lifecycle_policy()
            .registry_id(ctx.account_id())
            .repository_name(name)
            .send()
            .await,
        &["LifecyclePolicyNotFoundException"],
    )?;
    Ok(found
        .and_then(|o| o.lifecycle_policy_text().map(str::to_owned))
        .is_some_and(|text| !text.trim().is_empty()))
}

/// The lifecycle policy keeping the newest `keep` images.
fn keep_newest(keep: i32) -> String {
    json!({"rules": [{
        "rulePriority": 1,
        "description": format!("soar: keep the newest {keep} images"),
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
        "action": {"type": "expire"},
    }]})
    .to_string()
}

#[async_trait]
impl Remediation for ExpireOldImages {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let name = repository_name(finding, &META)?;
        if has_policy(ctx, &name).await? {
            return Ok(Plan::compliant(control, name));
        }
        let keep = ctx.settings.ecr_keep_images;
        let change = Plan::change(
            "ecr:PutLifecyclePolicy",
            format!("expire all but the newest {keep} images of {name}"),
        );
        Ok(Plan::changes(
            control,
            name,
            vec![change],
            json!({"policy": keep_newest(keep)}),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.ecr()
            .put_lifecycle_policy()
            .registry_id(ctx.account_id())
            .repository_name(&plan.resource)
            .lifecycle_policy_text(plan.data_str("policy")?)
            .send()
            .await
            .map_err(|e| RemediationError::aws("PutLifecyclePolicy", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Set a lifecycle policy on repository {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        has_policy(
            ctx,
            &repository_name(finding, &META)?,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecr::operation::get_lifecycle_policy::{
        GetLifecyclePolicyError, GetLifecyclePolicyOutput,
    };
    use aws_sdk_ecr::operation::put_lifecycle_policy::{
        PutLifecyclePolicyError, PutLifecyclePolicyInput, PutLifecyclePolicyOutput,
    };
    use aws_sdk_ecr::Client;
    use soar_core::DestructiveControls;

    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode, TEST_ACCOUNT,
    };
    use crate::{remediate, Mode, Report, Settings};

    fn finding() -> Finding {
        finding_for(
            "ECR.3",
            "AwsEcrRepository",
            "arn:aws:ecr:us-east-1:111111111111:repository/app",
        )
    }

    /// The settings that let ECR.3 run: it is destructive.
    fn allowed() -> Settings {
        Settings {
            destructive_controls: DestructiveControls::new(["ECR.3"]).unwrap(),
            ..Settings::default()
        }
    }

    fn none() -> GetLifecyclePolicyError {
        GetLifecyclePolicyError::generic(aws_error("LifecyclePolicyNotFoundException", "none"))
    }

    fn with_policy() -> GetLifecyclePolicyOutput {
        GetLifecyclePolicyOutput::builder()
            .lifecycle_policy_text(keep_newest(30))
            .build()
    }

    /// GetLifecyclePolicy of app in the test account: none for the plan,
    /// then the policy for every verify read.
    fn none_then_set() -> Rule {
        mock!(Client::get_lifecycle_policy)
            .match_requests(|r| {
                r.registry_id() == Some(TEST_ACCOUNT) && r.repository_name() == Some("app")
            })
            .sequence()
            .error(none)
            .output(with_policy)
            .repeatedly()
            .build()
    }

    /// The one write ECR.3 makes: keep the newest 30 images of app.
    fn keeping_30(r: &PutLifecyclePolicyInput) -> bool {
        let policy: serde_json::Value = r
            .lifecycle_policy_text()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        let rule = &policy["rules"][0];
        r.registry_id() == Some(TEST_ACCOUNT)
            && r.repository_name() == Some("app")
            && rule["selection"]
                == serde_json::json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30})
            && rule["action"] == serde_json::json!({"type": "expire"})
    }

    fn put() -> Rule {
        mock!(Client::put_lifecycle_policy)
            .match_requests(keeping_30)
            .then_output(|| PutLifecyclePolicyOutput::builder().build())
    }

    async fn run(settings: Settings, rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(
            &ExpireOldImages,
            &ctx.with_settings(settings),
            &finding(),
            Mode::Apply,
        )
        .await
    }

    #[tokio::test]
    async fn sets_a_keep_newest_policy_when_allowed() {
        let (get, p) = (none_then_set(), put());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &p]);
        let ctx = ctx.with_settings(allowed());
        let report = remediate(&ExpireOldImages, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(p.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn without_the_destructive_gate_it_is_a_ticket_with_the_plan_and_no_write() {
        let (get, p) = (none_then_set(), put());
        let report = run(Settings::default(), &[&get, &p]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ECR.3 is destructive")
                    && reason.contains("expire all but the newest 30 images of app (ecr:PutLifecyclePolicy)")),
            "{report:?}"
        );
        assert_eq!(p.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_repository_with_a_policy_gets_no_write() {
        let get = mock!(Client::get_lifecycle_policy).then_output(with_policy);
        let p = put();
        let report = run(allowed(), &[&get, &p]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(p.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_deleted_repository_is_suppressed() {
        let gone = mock!(Client::get_lifecycle_policy).then_error(|| {
            GetLifecyclePolicyError::generic(aws_error("RepositoryNotFoundException", "gone"))
        });
        let report = run(allowed(), &[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("RepositoryNotFoundException")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let get = mock!(Client::get_lifecycle_policy).then_error(none);
        let denied = mock!(Client::put_lifecycle_policy).then_error(|| {
            PutLifecyclePolicyError::generic(aws_error("AccessDeniedException", "no"))
        });
        let report = run(allowed(), &[&get, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutLifecyclePolicy failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let get = none_then_set();
        let throttled = mock!(Client::put_lifecycle_policy)
            .match_requests(keeping_30)
            .sequence()
            .error(|| PutLifecyclePolicyError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| PutLifecyclePolicyOutput::builder().build())
            .build();
        let report = run(allowed(), &[&get, &throttled]).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(throttled.num_calls(), 2);
    }
}

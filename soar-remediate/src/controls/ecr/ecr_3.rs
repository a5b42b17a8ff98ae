//! ECR.3: keep only the newest images with a lifecycle policy.

use async_trait::async_trait;
use serde_json::json;
use soar_asff::Finding;

use super::repository_name;
use crate::controls::{control_id, optional};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ECR.3"],
    title: "ECR repositories have at least one lifecycle policy configured",
    service: Service::Ecr,
    resource_type: "AwsEcrRepository",
    iam_actions: &["ecr:GetLifecyclePolicy", "ecr:PutLifecyclePolicy"],
    destructive: false,
    exemption_tag: None,
};

/// Sets a lifecycle policy that expires all but the newest
/// `Settings::ecr_keep_images` images. A repository with any lifecycle
/// policy is left alone.
pub(crate) struct ExpireOldImages;

async fn has_policy(ctx: &Context, name: &str) -> Result<bool, RemediationError> {
    let found = optional(
        "GetLifecyclePolicy",
        ctx.ecr()
            .get_lifecycle_policy()
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
        let name = repository_name(finding, control)?;
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
            &repository_name(finding, control_id(finding, META.ids))?,
        )
        .await
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_ecr::operation::get_lifecycle_policy::{
        GetLifecyclePolicyError, GetLifecyclePolicyOutput,
    };
    use aws_sdk_ecr::operation::put_lifecycle_policy::{
        PutLifecyclePolicyError, PutLifecyclePolicyOutput,
    };
    use aws_sdk_ecr::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for(
            "ECR.3",
            "AwsEcrRepository",
            "arn:aws:ecr:us-east-1:111111111111:repository/app",
        )
    }

    fn none() -> GetLifecyclePolicyError {
        GetLifecyclePolicyError::generic(aws_error("LifecyclePolicyNotFoundException", "none"))
    }

    fn with_policy() -> GetLifecyclePolicyOutput {
        GetLifecyclePolicyOutput::builder()
            .lifecycle_policy_text(keep_newest(30))
            .build()
    }

    fn put() -> Rule {
        mock!(Client::put_lifecycle_policy)
            .match_requests(|r| {
                let policy: serde_json::Value = r
                    .lifecycle_policy_text()
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or_default();
                r.repository_name() == Some("app")
                    && policy["rules"][0]["selection"]["countNumber"] == 30
            })
            .then_output(|| PutLifecyclePolicyOutput::builder().build())
    }

    #[tokio::test]
    async fn sets_a_keep_newest_policy() {
        let get = mock!(Client::get_lifecycle_policy)
            .sequence()
            .error(none)
            .output(with_policy)
            .build();
        let p = put();
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &p]);
        let report = remediate(&ExpireOldImages, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn repository_with_a_policy_gets_no_write() {
        let (get, p) = (
            mock!(Client::get_lifecycle_policy).then_output(with_policy),
            put(),
        );
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &p]);
        assert_eq!(
            remediate(&ExpireOldImages, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::AlreadyCompliant
        );
        assert_eq!(p.num_calls(), 0);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let gone = mock!(Client::get_lifecycle_policy).then_error(|| {
            GetLifecyclePolicyError::generic(aws_error("RepositoryNotFoundException", "gone"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        assert!(matches!(
            remediate(&ExpireOldImages, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let get = mock!(Client::get_lifecycle_policy).then_error(none);
        let denied = mock!(Client::put_lifecycle_policy).then_error(|| {
            PutLifecyclePolicyError::generic(aws_error("AccessDeniedException", "no"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &denied]);
        assert!(matches!(
            remediate(&ExpireOldImages, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let get = mock!(Client::get_lifecycle_policy)
            .sequence()
            .error(none)
            .output(with_policy)
            .build();
        let throttled = mock!(Client::put_lifecycle_policy)
            .sequence()
            .error(|| PutLifecyclePolicyError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| PutLifecyclePolicyOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &throttled]);
        assert!(matches!(
            remediate(&ExpireOldImages, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(throttled.num_calls(), 2);
    }
}

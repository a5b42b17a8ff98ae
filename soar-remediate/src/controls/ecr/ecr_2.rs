//! ECR.2: make image tags immutable.

use async_trait::async_trait;
use aws_sdk_ecr::types::ImageTagMutability;
use soar_asff::Finding;

use super::{describe, repository_name};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ECR.2"],
    title: "ECR private repositories have tag immutability configured",
    service: Service::Ecr,
    resource_type: "AwsEcrRepository",
    iam_actions: &["ecr:DescribeRepositories", "ecr:PutImageTagMutability"],
    destructive: false,
    exemption_tag: None,
};

/// Sets tag mutability to `IMMUTABLE`.
pub(crate) struct MakeTagsImmutable;

fn is_immutable(mutability: Option<&ImageTagMutability>) -> bool {
    matches!(
        mutability,
        Some(ImageTagMutability::Immutable | ImageTagMutability::ImmutableWithExclusion)
    )
}

#[async_trait]
impl Remediation for MakeTagsImmutable {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let name = repository_name(finding, control)?;
        if is_immutable(describe(ctx, &name).await?.image_tag_mutability()) {
            return Ok(Plan::compliant(control, name));
        }
        let change = Plan::change(
            "ecr:PutImageTagMutability",
            format!("make the tags of {name} immutable"),
        );
        Ok(Plan::changes(
            control,
            name,
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.ecr()
            .put_image_tag_mutability()
            .repository_name(&plan.resource)
            .image_tag_mutability(ImageTagMutability::Immutable)
            .send()
            .await
            .map_err(|e| RemediationError::aws("PutImageTagMutability", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Made the image tags of repository {} immutable.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let name = repository_name(finding, control_id(finding, META.ids))?;
        Ok(is_immutable(
            describe(ctx, &name).await?.image_tag_mutability(),
        ))
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_ecr::operation::describe_repositories::{
        DescribeRepositoriesError, DescribeRepositoriesOutput,
    };
    use aws_sdk_ecr::operation::put_image_tag_mutability::{
        PutImageTagMutabilityError, PutImageTagMutabilityOutput,
    };
    use aws_sdk_ecr::types::Repository;
    use aws_sdk_ecr::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for(
            "ECR.2",
            "AwsEcrRepository",
            "arn:aws:ecr:us-east-1:111111111111:repository/app",
        )
    }

    fn repo(mutability: ImageTagMutability) -> DescribeRepositoriesOutput {
        DescribeRepositoriesOutput::builder()
            .repositories(
                Repository::builder()
                    .repository_name("app")
                    .image_tag_mutability(mutability)
                    .build(),
            )
            .build()
    }

    fn described(before: ImageTagMutability, after: ImageTagMutability) -> Rule {
        mock!(Client::describe_repositories)
            .sequence()
            .output(move || repo(before.clone()))
            .output(move || repo(after.clone()))
            .build()
    }

    fn put() -> Rule {
        mock!(Client::put_image_tag_mutability)
            .match_requests(|r| {
                r.repository_name() == Some("app")
                    && r.image_tag_mutability() == Some(&ImageTagMutability::Immutable)
            })
            .then_output(|| PutImageTagMutabilityOutput::builder().build())
    }

    #[tokio::test]
    async fn makes_tags_immutable() {
        let (d, p) = (
            described(ImageTagMutability::Mutable, ImageTagMutability::Immutable),
            put(),
        );
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &p]);
        let report = remediate(&MakeTagsImmutable, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn immutable_repository_gets_no_write() {
        let (d, p) = (
            described(ImageTagMutability::Immutable, ImageTagMutability::Immutable),
            put(),
        );
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &p]);
        assert_eq!(
            remediate(&MakeTagsImmutable, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::AlreadyCompliant
        );
        assert_eq!(p.num_calls(), 0);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let gone = mock!(Client::describe_repositories).then_error(|| {
            DescribeRepositoriesError::generic(aws_error("RepositoryNotFoundException", "gone"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        assert!(matches!(
            remediate(&MakeTagsImmutable, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let d = described(ImageTagMutability::Mutable, ImageTagMutability::Mutable);
        let denied = mock!(Client::put_image_tag_mutability).then_error(|| {
            PutImageTagMutabilityError::generic(aws_error("AccessDeniedException", "no"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &denied]);
        assert!(matches!(
            remediate(&MakeTagsImmutable, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let d = described(ImageTagMutability::Mutable, ImageTagMutability::Immutable);
        let throttled = mock!(Client::put_image_tag_mutability)
            .sequence()
            .error(|| PutImageTagMutabilityError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| PutImageTagMutabilityOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &throttled]);
        assert!(matches!(
            remediate(&MakeTagsImmutable, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(throttled.num_calls(), 2);
    }
}

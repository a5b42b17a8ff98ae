//! ECR.2: make image tags immutable.

use async_trait::async_trait;
use aws_sdk_ecr::types::ImageTagMutability;
use soar_asff::Finding;

use super::{describe, repository_name};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What ECR.2 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ECR.2"],
    title: "ECR private repositories have tag immutability configured",
    service: Service::Ecr,
    resource_type: "AwsEcrRepository",
    iam_actions: &["ecr:DescribeRepositories", "ecr:PutImageTagMutability"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(MakeTagsImmutable)
}

/// Sets tag mutability to `IMMUTABLE`. A repository that is immutable with
/// exclusions (`IMMUTABLE_WITH_EXCLUSION`) already passes and is left alone:
/// its exclusions are someone's decision.
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
        let name = repository_name(finding, &META)?;
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
            .registry_id(ctx.account_id())
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
        let name = repository_name(finding, &META)?;
        Ok(is_immutable(
            describe(ctx, &name).await?.image_tag_mutability(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecr::operation::describe_repositories::{
        DescribeRepositoriesError, DescribeRepositoriesOutput,
    };
    use aws_sdk_ecr::operation::put_image_tag_mutability::{
        PutImageTagMutabilityError, PutImageTagMutabilityInput, PutImageTagMutabilityOutput,
    };
    use aws_sdk_ecr::types::Repository;
    use aws_sdk_ecr::Client;

    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode, TEST_ACCOUNT,
    };
    use crate::{remediate, Mode, Report};

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

    /// DescribeRepositories of app in the test account: `before` for the
    /// plan, then `after` for every verify read.
    fn described(before: ImageTagMutability, after: ImageTagMutability) -> Rule {
        mock!(Client::describe_repositories)
            .match_requests(|r| {
                r.registry_id() == Some(TEST_ACCOUNT) && r.repository_names() == ["app"]
            })
            .sequence()
            .output(move || repo(before.clone()))
            .output(move || repo(after.clone()))
            .repeatedly()
            .build()
    }

    /// The one write ECR.2 makes: IMMUTABLE on app.
    fn making_immutable(r: &PutImageTagMutabilityInput) -> bool {
        r.registry_id() == Some(TEST_ACCOUNT)
            && r.repository_name() == Some("app")
            && r.image_tag_mutability() == Some(&ImageTagMutability::Immutable)
    }

    fn put() -> Rule {
        mock!(Client::put_image_tag_mutability)
            .match_requests(making_immutable)
            .then_output(|| PutImageTagMutabilityOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&MakeTagsImmutable, &ctx, &finding(), Mode::Apply).await
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
        assert_eq!(p.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn an_immutable_repository_gets_no_write() {
        for mutability in [
            ImageTagMutability::Immutable,
            ImageTagMutability::ImmutableWithExclusion,
        ] {
            let (d, p) = (described(mutability.clone(), mutability.clone()), put());
            let report = run(&[&d, &p]).await;
            assert_eq!(report.outcome, Outcome::AlreadyCompliant, "{mutability:?}");
            assert_eq!(p.num_calls(), 0);
        }
    }

    #[tokio::test]
    async fn a_deleted_repository_is_suppressed() {
        let gone = mock!(Client::describe_repositories).then_error(|| {
            DescribeRepositoriesError::generic(aws_error("RepositoryNotFoundException", "gone"))
        });
        let report = run(&[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("RepositoryNotFoundException")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let d = described(ImageTagMutability::Mutable, ImageTagMutability::Mutable);
        let denied = mock!(Client::put_image_tag_mutability).then_error(|| {
            PutImageTagMutabilityError::generic(aws_error("AccessDeniedException", "no"))
        });
        let report = run(&[&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutImageTagMutability failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let d = described(ImageTagMutability::Mutable, ImageTagMutability::Immutable);
        let throttled = mock!(Client::put_image_tag_mutability)
            .match_requests(making_immutable)
            .sequence()
            .error(|| PutImageTagMutabilityError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| PutImageTagMutabilityOutput::builder().build())
            .build();
        let report = run(&[&d, &throttled]).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(throttled.num_calls(), 2);
    }
}

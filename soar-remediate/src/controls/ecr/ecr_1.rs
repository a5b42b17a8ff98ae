//! ECR.1: scan images when they are pushed.

use async_trait::async_trait;
use aws_sdk_ecr::types::ImageScanningConfiguration;
use soar_asff::Finding;

use super::{describe, repository_name};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ECR.1"],
    title: "ECR private repositories have image scanning configured",
    service: Service::Ecr,
    resource_type: "AwsEcrRepository",
    iam_actions: &[
        "ecr:DescribeRepositories",
        "ecr:PutImageScanningConfiguration",
    ],
    destructive: false,
    exemption_tag: None,
};

/// Turns on scan-on-push.
pub(crate) struct ScanImagesOnPush;

async fn scans_on_push(ctx: &Context, name: &str) -> Result<bool, RemediationError> {
    let repo = describe(ctx, name).await?;
    Ok(repo
        .image_scanning_configuration()
        .is_some_and(|c| c.scan_on_push()))
}

#[async_trait]
impl Remediation for ScanImagesOnPush {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let name = repository_name(finding, control)?;
        if scans_on_push(ctx, &name).await? {
            return Ok(Plan::compliant(control, name));
        }
        let change = Plan::change(
            "ecr:PutImageScanningConfiguration",
            format!("scan images pushed to {name}"),
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
            .put_image_scanning_configuration()
            .repository_name(&plan.resource)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| RemediationError::aws("PutImageScanningConfiguration", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on scan-on-push for repository {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        scans_on_push(
            ctx,
            &repository_name(finding, control_id(finding, META.ids))?,
        )
        .await
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_ecr::operation::describe_repositories::{
        DescribeRepositoriesError, DescribeRepositoriesOutput,
    };
    use aws_sdk_ecr::operation::put_image_scanning_configuration::{
        PutImageScanningConfigurationError, PutImageScanningConfigurationOutput,
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
            "ECR.1",
            "AwsEcrRepository",
            "arn:aws:ecr:us-east-1:111111111111:repository/team/app",
        )
    }

    fn repo(scan: bool) -> DescribeRepositoriesOutput {
        DescribeRepositoriesOutput::builder()
            .repositories(
                Repository::builder()
                    .repository_name("team/app")
                    .image_scanning_configuration(
                        ImageScanningConfiguration::builder()
                            .scan_on_push(scan)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn described(before: bool, after: bool) -> Rule {
        mock!(Client::describe_repositories)
            .match_requests(|r| r.repository_names() == ["team/app"])
            .sequence()
            .output(move || repo(before))
            .output(move || repo(after))
            .build()
    }

    fn put() -> Rule {
        mock!(Client::put_image_scanning_configuration)
            .match_requests(|r| {
                r.repository_name() == Some("team/app")
                    && r.image_scanning_configuration()
                        .is_some_and(|c| c.scan_on_push())
            })
            .then_output(|| PutImageScanningConfigurationOutput::builder().build())
    }

    #[tokio::test]
    async fn turns_on_scan_on_push() {
        let (d, p) = (described(false, true), put());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &p]);
        let report = remediate(&ScanImagesOnPush, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn scanning_repository_gets_no_write() {
        let (d, p) = (described(true, true), put());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &p]);
        assert_eq!(
            remediate(&ScanImagesOnPush, &ctx, &finding(), Mode::Apply)
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
            remediate(&ScanImagesOnPush, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let d = described(false, false);
        let denied = mock!(Client::put_image_scanning_configuration).then_error(|| {
            PutImageScanningConfigurationError::generic(aws_error("AccessDeniedException", "no"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &denied]);
        assert!(matches!(
            remediate(&ScanImagesOnPush, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let d = described(false, true);
        let throttled = mock!(Client::put_image_scanning_configuration)
            .sequence()
            .error(|| {
                PutImageScanningConfigurationError::generic(aws_error(
                    "ThrottlingException",
                    "slow",
                ))
            })
            .output(|| PutImageScanningConfigurationOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &throttled]);
        assert!(matches!(
            remediate(&ScanImagesOnPush, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(throttled.num_calls(), 2);
    }
}

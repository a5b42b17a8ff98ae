//! The S3 exposure playbook: Block Public Access on every bucket the
//! finding names, by `soar-remediate`'s S3.8 control.
//!
//! S3.8 passes the account as `ExpectedBucketOwner` on every call, so a
//! bucket of the same name in another account is never touched, and it
//! leaves a bucket tagged `soar:s3:request-publicly-readable` public: such a
//! bucket is meant to be public, so the incident goes to a person instead.

use serde::Serialize;
use soar_asff::{Compliance, Finding, Resource};
use soar_remediate::{remediate, Context, Mode, Outcome, PlanState, Registry};

use super::{PlaybookError, PlaybookPlan, Step};
use crate::classify::{IncidentKind, Response};

/// The control whose remediation the playbook is.
const CONTROL: &str = "S3.8";

/// A step of the S3 exposure playbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[non_exhaustive]
pub enum S3Step {
    /// Turns on the four Block Public Access settings of a bucket (S3.8).
    BlockPublicAccess {
        /// The bucket.
        bucket: String,
    },
}

impl S3Step {
    pub(crate) fn action(&self) -> &'static str {
        "s3:PutBucketPublicAccessBlock"
    }

    pub(crate) fn description(&self) -> String {
        match self {
            S3Step::BlockPublicAccess { bucket } => {
                format!("Block public access to bucket {bucket} (S3.8).")
            }
        }
    }

    pub(crate) async fn run(&self, ctx: &Context) -> Result<String, PlaybookError> {
        let S3Step::BlockPublicAccess { bucket } = self;
        let registry = Registry::default();
        let control = s3_8(&registry)?;
        let report = remediate(control, ctx, &bucket_finding(ctx, bucket), Mode::Apply).await;
        match report.outcome {
            Outcome::Remediated { actions_taken } => Ok(actions_taken.join(" ")),
            Outcome::AlreadyCompliant => {
                Ok(format!("Bucket {bucket} already blocked public access."))
            }
            other => Err(PlaybookError::CannotContain {
                resource: bucket.clone(),
                reason: format!(
                    "S3.8 did not block its public access: {}",
                    outcome_reason(&other)
                ),
            }),
        }
    }
}

fn outcome_reason(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Suppress { reason } | Outcome::Ticket { reason } => reason.clone(),
        Outcome::ReconsiderLater { until } => format!("it asked to be tried again after {until}"),
        other => other.name().to_owned(),
    }
}

fn s3_8(registry: &Registry) -> Result<&dyn soar_remediate::Remediation, PlaybookError> {
    registry
        .get(CONTROL)
        .ok_or_else(|| PlaybookError::CannotContain {
            resource: "S3 buckets".to_owned(),
            reason: "soar-remediate was built without S3.8".to_owned(),
        })
}

/// The IAM actions of the S3 playbook: S3.8's.
pub(crate) fn iam_actions() -> Vec<&'static str> {
    Registry::default()
        .get(CONTROL)
        .map(|c| c.meta().iam_actions.to_vec())
        .unwrap_or_default()
}

/// A failed S3.8 finding about `bucket` in the context's account and
/// Region: what S3.8's plan reads the bucket from.
fn bucket_finding(ctx: &Context, bucket: &str) -> Finding {
    Finding {
        id: format!("soar-incident/{}/{bucket}", ctx.account_id()),
        aws_account_id: ctx.account_id().to_owned(),
        region: Some(ctx.region().to_owned()),
        resources: vec![Resource {
            resource_type: "AwsS3Bucket".to_owned(),
            id: format!("arn:{}:s3:::{bucket}", ctx.partition()),
            partition: Some(ctx.partition().to_owned()),
            region: Some(ctx.region().to_owned()),
            ..Resource::default()
        }],
        compliance: Some(Compliance {
            security_control_id: Some(CONTROL.to_owned()),
            ..Compliance::default()
        }),
        ..Finding::default()
    }
}

/// The bucket names of the finding's `AwsS3Bucket` resources.
fn buckets(finding: &Finding) -> Vec<String> {
    finding
        .resources
        .iter()
        .filter(|r| r.resource_type == "AwsS3Bucket")
        .filter_map(|r| {
            let name = r.id.rsplit(':').next()?;
            (!name.is_empty()).then(|| name.to_owned())
        })
        .collect()
}

pub(crate) async fn plan(
    ctx: &Context,
    finding: &Finding,
    response: Response,
) -> Result<PlaybookPlan, PlaybookError> {
    let buckets = buckets(finding);
    if buckets.is_empty() {
        return Err(PlaybookError::CannotContain {
            resource: finding.id.clone(),
            reason: "the finding names no AwsS3Bucket resource".to_owned(),
        });
    }
    let registry = Registry::default();
    let control = s3_8(&registry)?;
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    for bucket in &buckets {
        let plan = control.plan(ctx, &bucket_finding(ctx, bucket)).await?;
        match plan.state {
            PlanState::AlreadyCompliant => {
                notes.push(format!("Bucket {bucket} already blocks public access: look for what it exposed before."));
            }
            PlanState::Exempt { reason } => {
                return Err(PlaybookError::CannotContain {
                    resource: bucket.clone(),
                    reason: format!("{reason}, so its public access is meant; a person must judge this incident"),
                });
            }
            PlanState::NeedsChanges | PlanState::NotYet { .. } => {
                steps.push(Step::S3(S3Step::BlockPublicAccess {
                    bucket: bucket.clone(),
                }));
            }
        }
    }
    // Blocking public access closes the bucket to everyone, not to whoever
    // already used it with credentials.
    notes.push(
        "A principal that read or changed the bucket with its own credentials keeps its access: look at the finding's actor and contain those credentials if they are exposed.".to_owned(),
    );
    Ok(PlaybookPlan {
        kind: IncidentKind::S3,
        response,
        resource: buckets.join(", "),
        steps,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingOutput;
    use aws_sdk_s3::operation::get_public_access_block::{
        GetPublicAccessBlockError, GetPublicAccessBlockOutput,
    };
    use aws_sdk_s3::operation::put_public_access_block::{
        PutPublicAccessBlockError, PutPublicAccessBlockOutput,
    };
    use aws_sdk_s3::types::{PublicAccessBlockConfiguration, Tag};
    use aws_sdk_s3::Client;
    use soar_asff::SeverityLabel;
    use soar_remediate::testkit::{aws_error, mock, mock_context, Rule, RuleMode};

    use super::*;
    use crate::playbook::testing::{guardduty, resource};
    use crate::playbook::{apply, plan as plan_for, PlaybookError, PlaybookOutcome};
    use crate::ContainmentSettings;

    fn finding() -> Finding {
        guardduty(
            "Impact/Policy:S3-BucketAnonymousAccessGranted",
            SeverityLabel::High,
            vec![resource("AwsS3Bucket", "arn:aws:s3:::exposed")],
        )
    }

    fn all_on() -> PublicAccessBlockConfiguration {
        PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build()
    }

    fn tags(publicly_readable: bool) -> Rule {
        mock!(Client::get_bucket_tagging)
            .match_requests(|r| {
                r.bucket() == Some("exposed") && r.expected_bucket_owner() == Some("111111111111")
            })
            .then_output(move || {
                let tag = Tag::builder()
                    .key("soar:s3:request-publicly-readable")
                    .value("true")
                    .build()
                    .unwrap();
                GetBucketTaggingOutput::builder()
                    .set_tag_set(Some(if publicly_readable {
                        vec![tag]
                    } else {
                        Vec::new()
                    }))
                    .build()
                    .unwrap()
            })
    }

    /// No settings until `after` reads, then all four on.
    fn block(after: usize) -> Rule {
        let mut rule = mock!(Client::get_public_access_block).sequence();
        for _ in 0..after {
            rule = rule.error(|| {
                GetPublicAccessBlockError::generic(aws_error(
                    "NoSuchPublicAccessBlockConfiguration",
                    "The public access block configuration was not found",
                ))
            });
        }
        rule.output(|| {
            GetPublicAccessBlockOutput::builder()
                .public_access_block_configuration(all_on())
                .build()
        })
        .repeatedly()
        .build()
    }

    fn put() -> Rule {
        mock!(Client::put_public_access_block)
            .match_requests(|r| {
                r.bucket() == Some("exposed")
                    && r.expected_bucket_owner() == Some("111111111111")
                    && r.public_access_block_configuration() == Some(&all_on())
            })
            .then_output(|| PutPublicAccessBlockOutput::builder().build())
    }

    async fn contain(rules: &[&Rule]) -> Result<crate::PlaybookReport, PlaybookError> {
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, rules);
        let plan = plan_for(
            &ctx,
            &finding(),
            IncidentKind::S3,
            Response::Contain,
            &ContainmentSettings::default(),
        )
        .await?;
        let report = apply(&ctx, plan).await;
        let undeclared = recorder.undeclared(&iam_actions());
        assert!(undeclared.is_empty(), "undeclared: {undeclared:?}");
        Ok(report)
    }

    #[tokio::test]
    async fn an_exposed_bucket_gets_all_four_settings_once() {
        // Read by the plan, by S3.8's own plan, then S3.8's check after.
        let (tags, block, put) = (tags(false), block(2), put());
        let report = contain(&[&tags, &block, &put]).await.unwrap();
        assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
        assert_eq!(put.num_calls(), 1);
        assert_eq!(report.steps[0].action, "s3:PutBucketPublicAccessBlock");
    }

    #[tokio::test]
    async fn a_blocked_bucket_needs_no_write() {
        let (tags, block, put) = (tags(false), block(0), put());
        let report = contain(&[&tags, &block, &put]).await.unwrap();
        assert_eq!(report.outcome, PlaybookOutcome::Contained);
        assert!(report.steps.is_empty());
        assert!(report.notes[0].contains("already blocks public access"));
        assert!(report.notes[1].contains("keeps its access"));
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_bucket_meant_to_be_public_goes_to_a_person() {
        let (tags, block, put) = (tags(true), block(1), put());
        let error = contain(&[&tags, &block, &put]).await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("soar:s3:request-publicly-readable"),
            "{error}"
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_denied_write_escalates_with_the_reason() {
        let (tags, block) = (tags(false), block(5));
        let denied = mock!(Client::put_public_access_block).then_error(|| {
            PutPublicAccessBlockError::generic(aws_error("AccessDenied", "Access Denied"))
        });
        let report = contain(&[&tags, &block, &denied]).await.unwrap();
        let PlaybookOutcome::Escalated { reason } = &report.outcome else {
            panic!("{report:#?}")
        };
        assert!(
            reason.contains("S3.8 did not block") && reason.contains("AccessDenied"),
            "{reason}"
        );
    }

    #[tokio::test]
    async fn a_finding_without_a_bucket_cannot_be_contained() {
        let mut finding = finding();
        finding.resources[0].resource_type = "AwsS3Object".to_owned();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[]);
        let error = plan_for(
            &ctx,
            &finding,
            IncidentKind::S3,
            Response::Contain,
            &ContainmentSettings::default(),
        )
        .await
        .unwrap_err();
        assert!(
            error.to_string().contains("names no AwsS3Bucket"),
            "{error}"
        );
    }
}

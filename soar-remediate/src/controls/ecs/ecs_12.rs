//! ECS.12: turn on Container Insights for a cluster.
//!
//! Sets the cluster's `containerInsights` setting to `enabled`. A cluster
//! already at `enhanced` (the observability tier that adds per-container
//! metrics) complies and is left there; no other setting is touched.

use async_trait::async_trait;
use aws_sdk_ecs::types::{Cluster, ClusterField, ClusterSetting, ClusterSettingName};
use soar_asff::Finding;

use super::{ecs_arn, missing};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What ECS.12 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ECS.12"],
    title: "ECS clusters use Container Insights",
    service: Service::Ecs,
    resource_type: "AwsEcsCluster",
    iam_actions: &["ecs:DescribeClusters", "ecs:UpdateCluster"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(TurnOnContainerInsights)
}

/// Turns on Container Insights.
pub(crate) struct TurnOnContainerInsights;

async fn describe(ctx: &Context, arn: &str) -> Result<Cluster, RemediationError> {
    let output = ctx
        .ecs()
        .describe_clusters()
        .clusters(arn)
        .include(ClusterField::Settings)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeClusters", &e))?;
    output
        .clusters()
        .iter()
        .find(|c| c.cluster_arn() == Some(arn) && c.status() != Some("INACTIVE"))
        .cloned()
        .ok_or_else(|| missing("DescribeClusters", "Cluster", arn))
}

/// Whether Container Insights is on, at either tier.
fn has_insights(cluster: &Cluster) -> bool {
    cluster.settings().iter().any(|s| {
        s.name() == Some(&ClusterSettingName::ContainerInsights)
            && matches!(s.value(), Some("enabled" | "enhanced"))
    })
}

#[async_trait]
impl Remediation for TurnOnContainerInsights {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let arn = ecs_arn(finding, &META)?;
        if has_insights(&describe(ctx, &arn).await?) {
            return Ok(Plan::compliant(control, arn));
        }
        let change = Plan::change(
            "ecs:UpdateCluster",
            format!("turn on Container Insights for cluster {arn}"),
        );
        Ok(Plan::changes(control, arn, vec![change], serde_json::Value::Null))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        // UpdateCluster rather than UpdateClusterSettings: the same change
        // and permission model, and the one emulators implement.
        ctx.ecs()
            .update_cluster()
            .cluster(&plan.resource)
            .settings(
                ClusterSetting::builder()
                    .name(ClusterSettingName::ContainerInsights)
                    .value("enabled")
                    .build(),
            )
            .send()
            .await
            .map_err(|e| RemediationError::aws("UpdateCluster", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on Container Insights for cluster {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        Ok(has_insights(&describe(ctx, &ecs_arn(finding, &META)?).await?))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::operation::describe_clusters::DescribeClustersOutput;
    use aws_sdk_ecs::operation::update_cluster::{
        UpdateClusterError, UpdateClusterInput, UpdateClusterOutput,
    };
    use aws_sdk_ecs::types::Failure;
    use aws_sdk_ecs::Client;

    use super::*;
    use crate::testkit::{
        assert_fixed_once,         aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    const CLUSTER: &str = "arn:aws:ecs:us-east-1:111111111111:cluster/payments";

    fn finding() -> Finding {
        finding_for("ECS.12", "AwsEcsCluster", CLUSTER)
    }

    fn cluster(insights: Option<&str>) -> DescribeClustersOutput {
        let mut cluster = Cluster::builder().cluster_arn(CLUSTER).status("ACTIVE");
        if let Some(value) = insights {
            cluster = cluster.settings(
                ClusterSetting::builder()
                    .name(ClusterSettingName::ContainerInsights)
                    .value(value)
                    .build(),
            );
        }
        DescribeClustersOutput::builder().clusters(cluster.build()).build()
    }

    fn described(before: Option<&'static str>, after: Option<&'static str>) -> Rule {
        mock!(Client::describe_clusters)
            .match_requests(|r| {
                r.clusters() == [CLUSTER] && r.include().contains(&ClusterField::Settings)
            })
            .sequence()
            .output(move || cluster(before))
            .output(move || cluster(after))
            .repeatedly()
            .build()
    }

    /// The one write: containerInsights=enabled, and no other setting or
    /// configuration.
    fn turning_on(r: &UpdateClusterInput) -> bool {
        r.cluster() == Some(CLUSTER)
            && r.settings().len() == 1
            && r.settings()[0].name() == Some(&ClusterSettingName::ContainerInsights)
            && r.settings()[0].value() == Some("enabled")
            && r.configuration().is_none()
            && r.service_connect_defaults().is_none()
    }

    fn update() -> Rule {
        mock!(Client::update_cluster)
            .match_requests(turning_on)
            .then_output(|| UpdateClusterOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&TurnOnContainerInsights, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn turns_on_container_insights() {
        let (d, u) = (described(Some("disabled"), Some("enabled")), update());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &u]);
        let report = remediate(&TurnOnContainerInsights, &ctx, &finding(), Mode::Apply).await;
        assert_fixed_once(&META, &report, &u, &recorder);
        // A cluster that never had the setting is off, too.
        let (d, u) = (described(None, Some("enabled")), update());
        assert!(matches!(run(&[&d, &u]).await.outcome, Outcome::Remediated { .. }));
        assert_eq!(u.num_calls(), 1);
    }

    #[tokio::test]
    async fn enabled_and_enhanced_clusters_get_no_write() {
        for tier in ["enabled", "enhanced"] {
            let (d, u) = (described(Some(tier), Some(tier)), update());
            assert_eq!(run(&[&d, &u]).await.outcome, Outcome::AlreadyCompliant, "{tier}");
            assert_eq!(u.num_calls(), 0, "{tier}");
        }
    }

    #[tokio::test]
    async fn a_missing_or_inactive_cluster_is_suppressed() {
        let missing = mock!(Client::describe_clusters).then_output(|| {
            DescribeClustersOutput::builder()
                .failures(Failure::builder().arn(CLUSTER).reason("MISSING").build())
                .build()
        });
        let inactive = mock!(Client::describe_clusters).then_output(|| {
            DescribeClustersOutput::builder()
                .clusters(Cluster::builder().cluster_arn(CLUSTER).status("INACTIVE").build())
                .build()
        });
        for rule in [&missing, &inactive] {
            let report = run(&[rule]).await;
            assert!(
                matches!(&report.outcome, Outcome::Suppress { reason }
                    if reason.contains("ClusterNotFoundException") && reason.contains(CLUSTER)),
                "{report:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let d = described(None, None);
        let denied = mock!(Client::update_cluster)
            .then_error(|| UpdateClusterError::generic(aws_error("AccessDeniedException", "no")));
        let report = run(&[&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("UpdateCluster failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let d = described(None, Some("enabled"));
        let throttled = mock!(Client::update_cluster)
            .match_requests(turning_on)
            .sequence()
            .error(|| UpdateClusterError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| UpdateClusterOutput::builder().build())
            .build();
        let report = run(&[&d, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}

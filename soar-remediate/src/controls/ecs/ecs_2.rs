//! ECS.2: stop an ECS service from giving its tasks public IP addresses.
//!
//! The service's `awsvpc` network configuration keeps its subnets and
//! security groups; only `assignPublicIp` becomes `DISABLED`. ECS rolls the
//! change out as a new deployment. Tasks in a public subnet without a NAT
//! gateway or VPC endpoints lose their way to the internet (and to ECR), so
//! a service that needs its public address is tagged
//! `soar:ecs:assign-public-ip=true` and left alone. Services deployed by
//! CodeDeploy or an external controller change only through that
//! controller: those are tickets.

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentControllerType, NetworkConfiguration,
    Service as EcsService, ServiceField,
};
use soar_asff::Finding;

use super::{ecs_arn, missing};
use crate::controls::{control_id, is_true, resource};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What ECS.2 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ECS.2"],
    title: "ECS services do not have public IP addresses assigned to them automatically",
    service: Service::Ecs,
    resource_type: "AwsEcsService",
    iam_actions: &["ecs:DescribeServices", "ecs:UpdateService"],
    destructive: false,
    exemption_tag: Some("soar:ecs:assign-public-ip"),
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(StopAssigningPublicIps)
}

/// Turns `assignPublicIp` off in the service's network configuration.
pub(crate) struct StopAssigningPublicIps;

/// The service's cluster: `Details.AwsEcsService.Cluster`, else the
/// cluster in the service ARN (`service/<cluster>/<service>`; the older
/// `service/<service>` format names none).
fn cluster_of(finding: &Finding, service_arn: &str) -> Result<String, RemediationError> {
    let from_details = resource(finding, &META)?
        .details
        .as_ref()
        .and_then(|d| d.extra.get("AwsEcsService"))
        .and_then(|s| s.get("Cluster"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    let from_arn = || {
        let arn = soar_asff::Arn::parse(service_arn).ok()?;
        let (cluster, _service) = arn.resource.strip_prefix("service/")?.split_once('/')?;
        Some(cluster.to_owned())
    };
    from_details
        .or_else(from_arn)
        .ok_or_else(|| RemediationError::UnsupportedFinding {
            control_id: control_id(finding, META.ids).to_owned(),
            reason: format!(
                "cannot tell the cluster of {service_arn}: neither Details.AwsEcsService.Cluster nor the ARN names it"
            ),
        })
}

async fn describe(
    ctx: &Context,
    cluster: &str,
    service_arn: &str,
) -> Result<EcsService, RemediationError> {
    let output = ctx
        .ecs()
        .describe_services()
        .cluster(cluster)
        .services(service_arn)
        .include(ServiceField::Tags)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeServices", &e))?;
    output
        .services()
        .iter()
        .find(|s| s.service_arn() == Some(service_arn) && s.status() != Some("INACTIVE"))
        .cloned()
        .ok_or_else(|| missing("DescribeServices", "Service", service_arn))
}

fn vpc_configuration(service: &EcsService) -> Option<&AwsVpcConfiguration> {
    service
        .network_configuration()
        .and_then(NetworkConfiguration::awsvpc_configuration)
}

fn assigns_public_ips(service: &EcsService) -> bool {
    vpc_configuration(service).and_then(AwsVpcConfiguration::assign_public_ip)
        == Some(&AssignPublicIp::Enabled)
}

#[async_trait]
impl Remediation for StopAssigningPublicIps {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let arn = ecs_arn(finding, &META)?;
        let cluster = cluster_of(finding, &arn)?;
        let service = describe(ctx, &cluster, &arn).await?;
        if !assigns_public_ips(&service) {
            return Ok(Plan::compliant(control, arn));
        }
        let exempt = service
            .tags()
            .iter()
            .any(|t| t.key() == META.exemption_tag && is_true(t.value()));
        if exempt {
            return Ok(Plan::exempt(
                control,
                arn,
                "the service is tagged soar:ecs:assign-public-ip=true",
            ));
        }
        let controller = service
            .deployment_controller()
            .map(|c| c.r#type().clone())
            .unwrap_or(DeploymentControllerType::Ecs);
        if controller != DeploymentControllerType::Ecs {
            return Err(RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!(
                    "service {arn} is deployed by {}: change its network configuration there",
                    controller.as_str()
                ),
            });
        }
        let vpc = vpc_configuration(&service);
        let subnets = vpc.map(|v| v.subnets().to_vec()).unwrap_or_default();
        let groups = vpc.map(|v| v.security_groups().to_vec()).unwrap_or_default();
        let change = Plan::change(
            "ecs:UpdateService",
            format!(
                "stop service {arn} from assigning public IP addresses to its tasks (a new deployment; subnets {} and security groups {} kept)",
                subnets.join(", "),
                groups.join(", ")
            ),
        );
        Ok(Plan::changes(
            control,
            arn,
            vec![change],
            serde_json::json!({ "cluster": cluster, "subnets": subnets, "security_groups": groups }),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let list = |member: &str| plan.data_as::<Vec<String>>(member);
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(list("subnets")?))
            .set_security_groups(Some(list("security_groups")?))
            .assign_public_ip(AssignPublicIp::Disabled)
            .build()
            .map_err(|e| RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: e.to_string(),
            })?;
        ctx.ecs()
            .update_service()
            .cluster(plan.data_str("cluster")?)
            .service(&plan.resource)
            .network_configuration(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
            .send()
            .await
            .map_err(|e| RemediationError::aws("UpdateService", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned off public IP assignment for service {}; ECS is rolling out a new deployment.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let arn = ecs_arn(finding, &META)?;
        let cluster = cluster_of(finding, &arn)?;
        Ok(!assigns_public_ips(&describe(ctx, &cluster, &arn).await?))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
    use aws_sdk_ecs::operation::update_service::{
        UpdateServiceError, UpdateServiceInput, UpdateServiceOutput,
    };
    use aws_sdk_ecs::types::{DeploymentController, Failure, Tag};
    use aws_sdk_ecs::Client;

    use super::*;
    use crate::testkit::{
        assert_fixed_once,         aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    const SERVICE: &str = "arn:aws:ecs:us-east-1:111111111111:service/payments/api";

    fn finding() -> Finding {
        finding_for("ECS.2", "AwsEcsService", SERVICE)
    }

    #[derive(Clone, Copy)]
    struct State {
        public: bool,
        exempt: bool,
        code_deploy: bool,
    }

    const PUBLIC: State = State {
        public: true,
        exempt: false,
        code_deploy: false,
    };
    const PRIVATE: State = State {
        public: false,
        ..PUBLIC
    };

    fn service(state: State) -> DescribeServicesOutput {
        let vpc = AwsVpcConfiguration::builder()
            .subnets("subnet-a")
            .subnets("subnet-b")
            .security_groups("sg-api")
            .assign_public_ip(if state.public {
                AssignPublicIp::Enabled
            } else {
                AssignPublicIp::Disabled
            })
            .build()
            .unwrap();
        let mut service = EcsService::builder()
            .service_arn(SERVICE)
            .status("ACTIVE")
            .network_configuration(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
            .deployment_controller(DeploymentController::builder()
                .r#type(if state.code_deploy {
                    DeploymentControllerType::CodeDeploy
                } else {
                    DeploymentControllerType::Ecs
                })
                .build().unwrap());
        if state.exempt {
            service = service.tags(Tag::builder().key("soar:ecs:assign-public-ip").value("true").build());
        }
        DescribeServicesOutput::builder().services(service.build()).build()
    }

    fn described(before: State, after: State) -> Rule {
        mock!(Client::describe_services)
            .match_requests(|r| {
                r.cluster() == Some("payments")
                    && r.services() == [SERVICE]
                    && r.include().contains(&ServiceField::Tags)
            })
            .sequence()
            .output(move || service(before))
            .output(move || service(after))
            .repeatedly()
            .build()
    }

    /// The one write: the same subnets and groups, public IPs off, and
    /// nothing else about the service.
    fn turning_off(r: &UpdateServiceInput) -> bool {
        let vpc = r
            .network_configuration()
            .and_then(NetworkConfiguration::awsvpc_configuration);
        r.cluster() == Some("payments")
            && r.service() == Some(SERVICE)
            && vpc.is_some_and(|v| {
                v.subnets() == ["subnet-a", "subnet-b"]
                    && v.security_groups() == ["sg-api"]
                    && v.assign_public_ip() == Some(&AssignPublicIp::Disabled)
            })
            && r.task_definition().is_none()
            && r.desired_count().is_none()
            && r.force_new_deployment().is_none()
    }

    fn update() -> Rule {
        mock!(Client::update_service)
            .match_requests(turning_off)
            .then_output(|| UpdateServiceOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&StopAssigningPublicIps, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn turns_off_public_ips_and_keeps_subnets_and_groups() {
        let (d, u) = (described(PUBLIC, PRIVATE), update());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &u]);
        let report = remediate(&StopAssigningPublicIps, &ctx, &finding(), Mode::Apply).await;
        assert_fixed_once(&META, &report, &u, &recorder);
    }

    #[tokio::test]
    async fn the_cluster_comes_from_the_details_when_the_arn_has_none() {
        let mut finding = finding();
        finding.resources[0].id = "arn:aws:ecs:us-east-1:111111111111:service/api".to_owned();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[]);
        let report = remediate(&StopAssigningPublicIps, &ctx, &finding, Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("cannot tell the cluster")),
            "{report:?}"
        );
        let details: soar_asff::ResourceDetails = serde_json::from_value(serde_json::json!({
            "AwsEcsService": { "Cluster": "payments" }
        }))
        .unwrap();
        finding.resources[0].details = Some(details);
        assert_eq!(cluster_of(&finding, &finding.resources[0].id).unwrap(), "payments");
    }

    #[tokio::test]
    async fn a_private_service_gets_no_write() {
        let (d, u) = (described(PRIVATE, PRIVATE), update());
        assert_eq!(run(&[&d, &u]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(u.num_calls(), 0);
    }

    #[tokio::test]
    async fn an_exempt_service_or_one_deployed_elsewhere_is_not_changed() {
        let exempt = State { exempt: true, ..PUBLIC };
        let (d, u) = (described(exempt, exempt), update());
        let report = run(&[&d, &u]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("soar:ecs:assign-public-ip")),
            "{report:?}"
        );
        let code_deploy = State { code_deploy: true, ..PUBLIC };
        let d = described(code_deploy, code_deploy);
        let report = run(&[&d, &u]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("deployed by CODE_DEPLOY")),
            "{report:?}"
        );
        assert_eq!(u.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_deleted_service_is_suppressed() {
        let missing = mock!(Client::describe_services).then_output(|| {
            DescribeServicesOutput::builder()
                .failures(Failure::builder().arn(SERVICE).reason("MISSING").build())
                .build()
        });
        let report = run(&[&missing]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("ServiceNotFoundException")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let d = described(PUBLIC, PUBLIC);
        let denied = mock!(Client::update_service)
            .then_error(|| UpdateServiceError::generic(aws_error("AccessDeniedException", "no")));
        let report = run(&[&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("UpdateService failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let d = described(PUBLIC, PRIVATE);
        let throttled = mock!(Client::update_service)
            .match_requests(turning_off)
            .sequence()
            .error(|| UpdateServiceError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| UpdateServiceOutput::builder().build())
            .build();
        let report = run(&[&d, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}

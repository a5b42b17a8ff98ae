//! IAM actions: the names the calls need, the resources they can be scoped
//! to, and a recorder of the calls made.
//!
//! IAM action names mostly are the service prefix plus the API operation,
//! but not always: `PutBucketEncryption` needs `s3:PutEncryptionConfiguration`
//! and `HeadBucket` needs `s3:ListBucket`. [`iam_action`] holds the explicit
//! map of those exceptions for the services soar acts on.
//!
//! [`resource_scope`] gives the narrowest resource each action can be
//! granted on, so that the registry's policy is least privilege in the
//! resources too, not only in the actions. The patterns are CloudFormation
//! `Fn::Sub` strings (`arn:${AWS::Partition}:...:${AWS::AccountId}:...`):
//! the policy is deployed as the remediation role in each member account.
//! Only the actions in [`ACTIONS_WITHOUT_RESOURCE_TYPES`] get `"*"`, because
//! IAM defines no resource type for them.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The IAM action an SDK operation needs.
///
/// `service` is the SDK's service name (`S3`, `S3 Control`, `KMS`, `ECR`,
/// `DynamoDB`, `EC2`, `Elastic Load Balancing v2`); `operation` the API
/// operation name. The IAM prefix is not always the service's name: both
/// load balancer APIs are `elasticloadbalancing:`, and S3 Control is `s3:`.
pub fn iam_action(service: &str, operation: &str) -> String {
    let prefix = match service.to_ascii_lowercase().replace(' ', "").as_str() {
        "s3" | "s3control" => "s3".to_owned(),
        "elasticloadbalancingv2" | "elasticloadbalancing" => "elasticloadbalancing".to_owned(),
        "cloudwatchlogs" => "logs".to_owned(),
        other => other.to_owned(),
    };
    let account_level =
        service.eq_ignore_ascii_case("s3control") || service.eq_ignore_ascii_case("s3 control");
    let renamed = match (prefix.as_str(), operation) {
        ("s3", "GetPublicAccessBlock") if account_level => "GetAccountPublicAccessBlock",
        ("s3", "PutPublicAccessBlock") if account_level => "PutAccountPublicAccessBlock",
        ("s3", "DeletePublicAccessBlock") if account_level => "PutAccountPublicAccessBlock",
        ("s3", "GetPublicAccessBlock") => "GetBucketPublicAccessBlock",
        ("s3", "PutPublicAccessBlock") => "PutBucketPublicAccessBlock",
        ("s3", "GetBucketEncryption") => "GetEncryptionConfiguration",
        ("s3", "PutBucketEncryption") => "PutEncryptionConfiguration",
        ("s3", "GetBucketLifecycleConfiguration") => "GetLifecycleConfiguration",
        ("s3", "PutBucketLifecycleConfiguration") => "PutLifecycleConfiguration",
        ("s3", "HeadBucket") => "ListBucket",
        ("s3", "ListObjectsV2") => "ListBucket",
        ("s3", "HeadObject") => "GetObject",
        ("dynamodb", "ListTagsOfResource") => "ListTagsOfResource",
        _ => operation,
    };
    format!("{prefix}:{renamed}")
}

/// The resources an IAM action can be granted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ResourceScope {
    /// The statement ID of the policy statement for these resources.
    pub sid: &'static str,
    /// The resource ARN patterns, CloudFormation `Fn::Sub` strings, or
    /// `["*"]`. Usually one; several when an action touches resources of
    /// more than one type (an RDS instance and its parameter group) or
    /// soar's fixed-name roles.
    pub arns: &'static [&'static str],
}

/// Actions for which IAM defines no resource type, so that they can only be
/// granted on `"*"`: the account-level S3 Block Public Access settings (S3.1),
/// the registry-level ECR scanning configuration (ECR.1), EC2's `Describe*`
/// and Elastic Load Balancing's `Describe*` actions (none of which
/// supports resource-level permissions) and the Region-level EBS encryption
/// default (EC2.7), the account's IAM password policy, and STS's
/// `GetCallerIdentity`, which every principal may call.
pub const ACTIONS_WITHOUT_RESOURCE_TYPES: &[&str] = &[
    "s3:GetAccountPublicAccessBlock",
    "s3:PutAccountPublicAccessBlock",
    "ecr:GetRegistryScanningConfiguration",
    "ec2:DescribeAddresses",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSnapshots",
    "ec2:DescribeSnapshotAttribute",
    "ec2:DescribeSubnets",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpcs",
    "ec2:GetEbsEncryptionByDefault",
    "ec2:EnableEbsEncryptionByDefault",
    "iam:GetAccountPasswordPolicy",
    "iam:UpdateAccountPasswordPolicy",
    "sts:GetCallerIdentity",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
];

/// Actions that cannot be scoped: [`ACTIONS_WITHOUT_RESOURCE_TYPES`], and
/// actions of services this crate does not know (user-defined controls).
pub const ANY_RESOURCE: ResourceScope = ResourceScope {
    sid: "SoarActionsWithoutResourceTypes",
    arns: &["*"],
};

/// The narrowest resource `action` can be granted on, or `None` for a
/// service this crate has no scope for (it then gets [`ANY_RESOURCE`]).
///
/// ```
/// use soar_remediate::iam::resource_scope;
/// assert_eq!(resource_scope("s3:PutBucketPolicy").unwrap().arns, ["arn:${AWS::Partition}:s3:::*"]);
/// assert_eq!(resource_scope("s3:PutAccountPublicAccessBlock").unwrap().arns, ["*"]);
/// assert_eq!(resource_scope("lambda:UpdateFunctionConfiguration"), None);
/// ```
pub fn resource_scope(action: &str) -> Option<ResourceScope> {
    if ACTIONS_WITHOUT_RESOURCE_TYPES.contains(&action) {
        return Some(ANY_RESOURCE);
    }
    let (prefix, operation) = action.split_once(':')?;
    match prefix {
        "ec2" => return ec2_scope(operation),
        "rds" => return Some(rds_scope(operation)),
        _ => {}
    }
    let (sid, arns): (&str, &[&str]) = match prefix {
        "s3" => ("SoarS3Buckets", &["arn:${AWS::Partition}:s3:::*"]),
        "kms" => (
            "SoarKmsKeys",
            &["arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*"],
        ),
        "ecr" => (
            "SoarEcrRepositories",
            &["arn:${AWS::Partition}:ecr:*:${AWS::AccountId}:repository/*"],
        ),
        "dynamodb" => (
            "SoarDynamoDbTables",
            &["arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/*"],
        ),
        "elasticloadbalancing" if operation.contains("Listener") => (
            "SoarElbListeners",
            &["arn:${AWS::Partition}:elasticloadbalancing:*:${AWS::AccountId}:listener/*"],
        ),
        "elasticloadbalancing" => (
            "SoarElbLoadBalancers",
            &["arn:${AWS::Partition}:elasticloadbalancing:*:${AWS::AccountId}:loadbalancer/*"],
        ),
        // EC2.6's and RDS.6's roles, by their fixed names: creating and
        // passing any role would let a remediation grant itself anything.
        "iam" if operation.contains("Role") => {
            return Some(ResourceScope {
                sid: "SoarServiceRoles",
                arns: &[
                    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/soar-vpc-flow-logs",
                    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/soar-rds-monitoring",
                ],
            })
        }
        // The IAM controls' users: their keys and console passwords.
        "iam" => (
            "SoarIamUsers",
            &["arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*"],
        ),
        "logs" => (
            "SoarLogGroups",
            &["arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:*"],
        ),
        "ecs" if operation.contains("Service") => (
            "SoarEcsServices",
            &["arn:${AWS::Partition}:ecs:*:${AWS::AccountId}:service/*"],
        ),
        "ecs" => (
            "SoarEcsClusters",
            &["arn:${AWS::Partition}:ecs:*:${AWS::AccountId}:cluster/*"],
        ),
        _ => return None,
    };
    Some(ResourceScope { sid, arns })
}

/// RDS, like EC2, has a resource type per kind of resource. Changing an
/// instance's parameter group (RDS.9) needs `rds:ModifyDBInstance` on the
/// group as well as on the instance.
fn rds_scope(operation: &str) -> ResourceScope {
    let (sid, arns): (&str, &[&str]) = if operation.contains("ClusterSnapshot") {
        (
            "SoarRdsClusterSnapshots",
            &["arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster-snapshot:*"],
        )
    } else if operation.contains("Snapshot") {
        (
            "SoarRdsSnapshots",
            &["arn:${AWS::Partition}:rds:*:${AWS::AccountId}:snapshot:*"],
        )
    } else if operation.contains("Cluster") {
        (
            "SoarRdsClusters",
            &["arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster:*"],
        )
    } else if operation.contains("ParameterGroup") || operation == "DescribeDBParameters" {
        (
            "SoarRdsParameterGroups",
            &["arn:${AWS::Partition}:rds:*:${AWS::AccountId}:pg:*"],
        )
    } else if operation == "ModifyDBInstance" {
        (
            "SoarRdsInstanceChanges",
            &[
                "arn:${AWS::Partition}:rds:*:${AWS::AccountId}:db:*",
                "arn:${AWS::Partition}:rds:*:${AWS::AccountId}:pg:*",
            ],
        )
    } else {
        (
            "SoarRdsInstances",
            &["arn:${AWS::Partition}:rds:*:${AWS::AccountId}:db:*"],
        )
    };
    ResourceScope { sid, arns }
}

/// EC2 has one resource type per kind of resource, so its scope depends on
/// the action. A snapshot's ARN has no account: snapshots are shared
/// across accounts by ID.
fn ec2_scope(operation: &str) -> Option<ResourceScope> {
    let (sid, arns): (&str, &[&str]) = match operation {
        "ModifyInstanceMetadataOptions" | "TerminateInstances" => (
            "SoarEc2Instances",
            &["arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*"],
        ),
        "RevokeSecurityGroupIngress"
        | "AuthorizeSecurityGroupIngress"
        | "RevokeSecurityGroupEgress"
        | "DeleteSecurityGroup" => (
            "SoarEc2SecurityGroups",
            &["arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*"],
        ),
        "ReleaseAddress" => (
            "SoarEc2ElasticIps",
            &["arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:elastic-ip/*"],
        ),
        "ModifySnapshotAttribute" => (
            "SoarEc2Snapshots",
            &["arn:${AWS::Partition}:ec2:*::snapshot/*"],
        ),
        "ModifySubnetAttribute" => (
            "SoarEc2Subnets",
            &["arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:subnet/*"],
        ),
        // A flow log is made on the VPC and is a resource of its own.
        "CreateFlowLogs" => (
            "SoarEc2FlowLogs",
            &["arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:*"],
        ),
        "ModifyTransitGateway" => (
            "SoarEc2TransitGateways",
            &["arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:transit-gateway/*"],
        ),
        _ => return None,
    };
    Some(ResourceScope { sid, arns })
}

/// Records the IAM action of every operation the clients it is attached to
/// execute. Attach it with [`crate::Context::with_interceptor`].
#[derive(Debug, Clone, Default)]
pub struct OperationRecorder {
    actions: Arc<Mutex<Vec<String>>>,
}

impl OperationRecorder {
    /// A new, empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The recorder as an interceptor for SDK client configurations.
    pub fn interceptor(&self) -> SharedInterceptor {
        SharedInterceptor::new(self.clone())
    }

    /// The IAM actions of the operations executed, in order, with repeats.
    pub fn actions(&self) -> Vec<String> {
        self.actions.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// The distinct IAM actions executed.
    pub fn distinct_actions(&self) -> BTreeSet<String> {
        self.actions().into_iter().collect()
    }

    /// The actions executed that `declared` does not cover.
    pub fn undeclared(&self, declared: &[&str]) -> BTreeSet<String> {
        self.distinct_actions()
            .into_iter()
            .filter(|action| !declared.contains(&action.as_str()))
            .collect()
    }
}

impl Intercept for OperationRecorder {
    fn name(&self) -> &'static str {
        "soar::OperationRecorder"
    }

    // Not `read_before_execution`: client interceptors run that hook before
    // the operation's configuration (with its `Metadata`) is applied.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let action = iam_action(metadata.service(), metadata.name());
            if let Ok(mut actions) = self.actions.lock() {
                actions.push(action);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_scoped_to_their_resource_type() {
        let cases = [
            ("s3:GetBucketPolicy", "arn:${AWS::Partition}:s3:::*"),
            ("s3:PutAccountPublicAccessBlock", "*"),
            (
                "kms:EnableKeyRotation",
                "arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*",
            ),
            (
                "dynamodb:UpdateTable",
                "arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/*",
            ),
            (
                "ecr:PutImageTagMutability",
                "arn:${AWS::Partition}:ecr:*:${AWS::AccountId}:repository/*",
            ),
            ("ecr:GetRegistryScanningConfiguration", "*"),
            (
                "iam:UpdateAccessKey",
                "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*",
            ),
            ("iam:UpdateAccountPasswordPolicy", "*"),
            (
                "rds:ModifyDBClusterSnapshotAttribute",
                "arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster-snapshot:*",
            ),
            (
                "rds:CopyDBSnapshot",
                "arn:${AWS::Partition}:rds:*:${AWS::AccountId}:snapshot:*",
            ),
            (
                "rds:ModifyDBCluster",
                "arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster:*",
            ),
            (
                "rds:DescribeDBParameters",
                "arn:${AWS::Partition}:rds:*:${AWS::AccountId}:pg:*",
            ),
            (
                "rds:DescribeDBInstances",
                "arn:${AWS::Partition}:rds:*:${AWS::AccountId}:db:*",
            ),
            (
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "arn:${AWS::Partition}:elasticloadbalancing:*:${AWS::AccountId}:loadbalancer/*",
            ),
            (
                "elasticloadbalancing:ModifyListener",
                "arn:${AWS::Partition}:elasticloadbalancing:*:${AWS::AccountId}:listener/*",
            ),
            ("elasticloadbalancing:DescribeListeners", "*"),
            (
                "ecs:UpdateService",
                "arn:${AWS::Partition}:ecs:*:${AWS::AccountId}:service/*",
            ),
            (
                "ecs:UpdateCluster",
                "arn:${AWS::Partition}:ecs:*:${AWS::AccountId}:cluster/*",
            ),
        ];
        for (action, arn) in cases {
            assert_eq!(
                resource_scope(action).map(|s| s.arns),
                Some(&[arn][..]),
                "{action}"
            );
        }
        // Several resource types, or soar's fixed-name roles only.
        let several = [
            ("rds:ModifyDBInstance", "SoarRdsInstanceChanges", 2),
            ("iam:PassRole", "SoarServiceRoles", 2),
        ];
        for (action, sid, count) in several {
            let scope = resource_scope(action).unwrap();
            assert_eq!((scope.sid, scope.arns.len()), (sid, count), "{action}");
        }
        assert!(resource_scope("iam:CreateRole")
            .unwrap()
            .arns
            .iter()
            .all(|arn| arn.ends_with("role/soar-vpc-flow-logs")
                || arn.ends_with("role/soar-rds-monitoring")));
        assert_eq!(resource_scope("example:DoThing"), None);
        assert_eq!(resource_scope("no-colon"), None);
    }

    #[test]
    fn operation_names_map_to_iam_actions() {
        let cases = [
            ("S3", "PutBucketEncryption", "s3:PutEncryptionConfiguration"),
            (
                "S3",
                "PutPublicAccessBlock",
                "s3:PutBucketPublicAccessBlock",
            ),
            (
                "S3 Control",
                "PutPublicAccessBlock",
                "s3:PutAccountPublicAccessBlock",
            ),
            ("S3", "GetBucketPolicy", "s3:GetBucketPolicy"),
            ("S3", "HeadBucket", "s3:ListBucket"),
            ("KMS", "EnableKeyRotation", "kms:EnableKeyRotation"),
            (
                "CloudWatch Logs",
                "PutRetentionPolicy",
                "logs:PutRetentionPolicy",
            ),
            ("IAM", "GetRole", "iam:GetRole"),
            ("ECR", "PutImageTagMutability", "ecr:PutImageTagMutability"),
            (
                "DynamoDB",
                "UpdateContinuousBackups",
                "dynamodb:UpdateContinuousBackups",
            ),
            (
                "EC2",
                "RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
            ),
            (
                "Elastic Load Balancing v2",
                "ModifyLoadBalancerAttributes",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
            ),
            (
                "Elastic Load Balancing",
                "DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancers",
            ),
        ];
        for (service, operation, action) in cases {
            assert_eq!(
                iam_action(service, operation),
                action,
                "{service} {operation}"
            );
        }
    }
}

//! `Resources`: what a finding is about.
//!
//! `Details` has more than a hundred kinds in the API model. The kinds that
//! soar's remediations and playbooks read are typed here, each with the
//! members they use; every other kind, and every other member of a typed
//! kind, stays raw JSON in the `extra` maps, so nothing is lost and a new
//! kind needs no release of this crate.

use std::collections::BTreeMap;

use crate::arn::Arn;
use crate::object::asff_object;
use crate::view::ResourceView;

asff_object! {
    /// One resource that a finding concerns.
    pub struct Resource {
        /// The resource type, such as `AwsS3Bucket` or `AwsEc2SecurityGroup`.
        "Type" => resource_type: required<String>,
        /// The resource's identifier, an ARN when it has one.
        "Id" => id: required<String>,
        /// The partition, such as `aws` or `aws-cn`.
        "Partition" => partition: optional<String>,
        /// The resource's Region.
        "Region" => region: optional<String>,
        /// `Target` or `Actor`, for findings that involve several resources.
        "ResourceRole" => resource_role: optional<String>,
        /// The resource's tags as the producer saw them.
        "Tags" => tags: optional<BTreeMap<String, String>>,
        /// Sensitive data found in the resource (Macie).
        "DataClassification" => data_classification: optional<serde_json::Value>,
        /// Details of the resource, by kind.
        "Details" => details: optional<ResourceDetails>,
        /// The application the resource belongs to.
        "ApplicationName" => application_name: optional<String>,
        /// The ARN of that application.
        "ApplicationArn" => application_arn: optional<String>,
    }
}

impl Resource {
    /// The resource's `Id` parsed as an ARN, if it is one.
    pub fn arn(&self) -> Option<Arn<'_>> {
        Arn::parse(&self.id).ok()
    }

    /// The account that owns the resource, from its ARN. `None` for ARNs
    /// without an account (S3 buckets) and for identifiers that are not ARNs.
    pub fn account_id(&self) -> Option<&str> {
        ResourceView::from(self).account_id()
    }

    /// The resource's Region: the `Region` member, or failing that the
    /// Region in its ARN.
    pub fn region(&self) -> Option<&str> {
        ResourceView::from(self).region()
    }

    /// The value of a resource tag, if the producer reported it.
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags.as_ref()?.get(name).map(String::as_str)
    }
}

asff_object! {
    /// The `Details` member of a resource, keyed by resource kind.
    ///
    /// Kinds that are not typed here are kept in `extra` under their ASFF
    /// name, such as `AwsLambdaFunction`.
    pub struct ResourceDetails {
        /// An S3 bucket.
        "AwsS3Bucket" => aws_s3_bucket: optional<Box<AwsS3BucketDetails>>,
        /// An EC2 security group.
        "AwsEc2SecurityGroup" => aws_ec2_security_group: optional<Box<AwsEc2SecurityGroupDetails>>,
        /// An EC2 instance.
        "AwsEc2Instance" => aws_ec2_instance: optional<Box<AwsEc2InstanceDetails>>,
        /// An EC2 subnet.
        "AwsEc2Subnet" => aws_ec2_subnet: optional<Box<AwsEc2SubnetDetails>>,
        /// An EC2 VPC.
        "AwsEc2Vpc" => aws_ec2_vpc: optional<Box<AwsEc2VpcDetails>>,
        /// An EBS volume.
        "AwsEc2Volume" => aws_ec2_volume: optional<Box<AwsEc2VolumeDetails>>,
        /// An RDS DB instance.
        "AwsRdsDbInstance" => aws_rds_db_instance: optional<Box<AwsRdsDbInstanceDetails>>,
        /// An RDS DB cluster.
        "AwsRdsDbCluster" => aws_rds_db_cluster: optional<Box<AwsRdsDbClusterDetails>>,
        /// An RDS DB snapshot.
        "AwsRdsDbSnapshot" => aws_rds_db_snapshot: optional<Box<AwsRdsDbSnapshotDetails>>,
        /// An RDS DB cluster snapshot.
        "AwsRdsDbClusterSnapshot" => aws_rds_db_cluster_snapshot: optional<Box<AwsRdsDbClusterSnapshotDetails>>,
        /// A KMS key.
        "AwsKmsKey" => aws_kms_key: optional<Box<AwsKmsKeyDetails>>,
        /// An IAM user.
        "AwsIamUser" => aws_iam_user: optional<Box<AwsIamUserDetails>>,
        /// An IAM access key.
        "AwsIamAccessKey" => aws_iam_access_key: optional<Box<AwsIamAccessKeyDetails>>,
        /// An ECR repository.
        "AwsEcrRepository" => aws_ecr_repository: optional<Box<AwsEcrRepositoryDetails>>,
        /// A DynamoDB table.
        "AwsDynamoDbTable" => aws_dynamo_db_table: optional<Box<AwsDynamoDbTableDetails>>,
        /// A resource kind without its own details object: string pairs.
        "Other" => other: optional<BTreeMap<String, String>>,
    }
}

asff_object! {
    /// `Details.AwsS3Bucket`.
    pub struct AwsS3BucketDetails {
        /// The bucket's name.
        "Name" => name: optional<String>,
        /// The canonical user ID of the owner.
        "OwnerId" => owner_id: optional<String>,
        /// The display name of the owner.
        "OwnerName" => owner_name: optional<String>,
        /// The account that owns the bucket.
        "OwnerAccountId" => owner_account_id: optional<String>,
        /// When the bucket was created.
        "CreatedAt" => created_at: optional<String>,
        /// The default encryption configuration.
        "ServerSideEncryptionConfiguration" => server_side_encryption_configuration: optional<serde_json::Value>,
        /// The bucket-level Block Public Access settings.
        "PublicAccessBlockConfiguration" => public_access_block_configuration: optional<PublicAccessBlockConfiguration>,
    }
}

asff_object! {
    /// Block Public Access settings of a bucket or an account.
    pub struct PublicAccessBlockConfiguration {
        /// Reject new public ACLs.
        "BlockPublicAcls" => block_public_acls: optional<bool>,
        /// Reject new public bucket policies.
        "BlockPublicPolicy" => block_public_policy: optional<bool>,
        /// Ignore existing public ACLs.
        "IgnorePublicAcls" => ignore_public_acls: optional<bool>,
        /// Restrict access to buckets with public policies.
        "RestrictPublicBuckets" => restrict_public_buckets: optional<bool>,
    }
}

asff_object! {
    /// `Details.AwsEc2SecurityGroup`.
    pub struct AwsEc2SecurityGroupDetails {
        /// The group's name.
        "GroupName" => group_name: optional<String>,
        /// The group's ID, `sg-...`.
        "GroupId" => group_id: optional<String>,
        /// The account that owns the group.
        "OwnerId" => owner_id: optional<String>,
        /// The VPC the group belongs to.
        "VpcId" => vpc_id: optional<String>,
        /// The inbound rules.
        "IpPermissions" => ip_permissions: optional<Vec<serde_json::Value>>,
        /// The outbound rules.
        "IpPermissionsEgress" => ip_permissions_egress: optional<Vec<serde_json::Value>>,
    }
}

asff_object! {
    /// `Details.AwsEc2Instance`.
    pub struct AwsEc2InstanceDetails {
        /// The instance type.
        "Type" => instance_type: optional<String>,
        /// The AMI.
        "ImageId" => image_id: optional<String>,
        /// The VPC.
        "VpcId" => vpc_id: optional<String>,
        /// The subnet.
        "SubnetId" => subnet_id: optional<String>,
        /// The instance profile ARN.
        "IamInstanceProfileArn" => iam_instance_profile_arn: optional<String>,
        /// When the instance was launched.
        "LaunchedAt" => launched_at: optional<String>,
        /// The instance metadata service options (IMDSv2).
        "MetadataOptions" => metadata_options: optional<serde_json::Value>,
    }
}

asff_object! {
    /// `Details.AwsEc2Subnet`.
    pub struct AwsEc2SubnetDetails {
        /// The subnet's ID.
        "SubnetId" => subnet_id: optional<String>,
        /// The VPC.
        "VpcId" => vpc_id: optional<String>,
        /// Whether instances get a public IPv4 address by default.
        "MapPublicIpOnLaunch" => map_public_ip_on_launch: optional<bool>,
    }
}

asff_object! {
    /// `Details.AwsEc2Vpc`.
    pub struct AwsEc2VpcDetails {
        /// The state of the VPC.
        "State" => state: optional<String>,
        /// The DHCP options set.
        "DhcpOptionsId" => dhcp_options_id: optional<String>,
    }
}

asff_object! {
    /// `Details.AwsEc2Volume`.
    pub struct AwsEc2VolumeDetails {
        /// Whether the volume is encrypted.
        "Encrypted" => encrypted: optional<bool>,
        /// The snapshot the volume was created from.
        "SnapshotId" => snapshot_id: optional<String>,
        /// The volume's ID.
        "VolumeId" => volume_id: optional<String>,
        /// The volume's state.
        "Status" => status: optional<String>,
    }
}

asff_object! {
    /// `Details.AwsRdsDbInstance`.
    pub struct AwsRdsDbInstanceDetails {
        /// The DB instance identifier.
        "DbInstanceIdentifier" => db_instance_identifier: optional<String>,
        /// The region-unique, immutable identifier.
        "DbiResourceId" => dbi_resource_id: optional<String>,
        /// The engine, such as `mysql`.
        "Engine" => engine: optional<String>,
        /// Whether the instance has a public address.
        "PubliclyAccessible" => publicly_accessible: optional<bool>,
        /// Whether storage is encrypted.
        "StorageEncrypted" => storage_encrypted: optional<bool>,
        /// Whether the instance is Multi-AZ.
        "MultiAz" => multi_az: optional<bool>,
        /// Whether deletion protection is on.
        "DeletionProtection" => deletion_protection: optional<bool>,
        /// Days of automated backups kept.
        "BackupRetentionPeriod" => backup_retention_period: optional<i32>,
        /// Whether minor versions are applied automatically.
        "AutoMinorVersionUpgrade" => auto_minor_version_upgrade: optional<bool>,
        /// Whether tags are copied to snapshots.
        "CopyTagsToSnapshot" => copy_tags_to_snapshot: optional<bool>,
        /// The cluster the instance belongs to.
        "DbClusterIdentifier" => db_cluster_identifier: optional<String>,
    }
}

asff_object! {
    /// `Details.AwsRdsDbCluster`.
    pub struct AwsRdsDbClusterDetails {
        /// The DB cluster identifier.
        "DbClusterIdentifier" => db_cluster_identifier: optional<String>,
        /// The engine, such as `aurora-mysql`.
        "Engine" => engine: optional<String>,
        /// Whether storage is encrypted.
        "StorageEncrypted" => storage_encrypted: optional<bool>,
        /// Whether deletion protection is on.
        "DeletionProtection" => deletion_protection: optional<bool>,
        /// Whether the cluster spans several Availability Zones.
        "MultiAz" => multi_az: optional<bool>,
        /// Whether tags are copied to snapshots.
        "CopyTagsToSnapshot" => copy_tags_to_snapshot: optional<bool>,
    }
}

asff_object! {
    /// `Details.AwsRdsDbSnapshot`.
    pub struct AwsRdsDbSnapshotDetails {
        /// The snapshot identifier.
        "DbSnapshotIdentifier" => db_snapshot_identifier: optional<String>,
        /// The instance it was taken from.
        "DbInstanceIdentifier" => db_instance_identifier: optional<String>,
        /// Whether it is encrypted.
        "Encrypted" => encrypted: optional<bool>,
    }
}

asff_object! {
    /// `Details.AwsRdsDbClusterSnapshot`.
    pub struct AwsRdsDbClusterSnapshotDetails {
        /// The snapshot identifier.
        "DbClusterSnapshotIdentifier" => db_cluster_snapshot_identifier: optional<String>,
        /// The cluster it was taken from.
        "DbClusterIdentifier" => db_cluster_identifier: optional<String>,
        /// Whether it is encrypted.
        "StorageEncrypted" => storage_encrypted: optional<bool>,
    }
}

asff_object! {
    /// `Details.AwsKmsKey`.
    pub struct AwsKmsKeyDetails {
        /// The key's ID.
        "KeyId" => key_id: optional<String>,
        /// `AWS` for AWS managed keys, `CUSTOMER` for customer managed keys.
        "KeyManager" => key_manager: optional<String>,
        /// The key's state, such as `Enabled` or `PendingDeletion`.
        "KeyState" => key_state: optional<String>,
        /// Where the key material came from.
        "Origin" => origin: optional<String>,
        /// Whether automatic rotation is on.
        "KeyRotationStatus" => key_rotation_status: optional<bool>,
        /// The key's account.
        "AWSAccountId" => aws_account_id: optional<String>,
    }
}

asff_object! {
    /// `Details.AwsIamUser`.
    pub struct AwsIamUserDetails {
        /// The user's name.
        "UserName" => user_name: optional<String>,
        /// The user's unique ID.
        "UserId" => user_id: optional<String>,
        /// When the user was created.
        "CreateDate" => create_date: optional<String>,
        /// The user's path.
        "Path" => path: optional<String>,
    }
}

asff_object! {
    /// `Details.AwsIamAccessKey`.
    pub struct AwsIamAccessKeyDetails {
        /// `Active` or `Inactive`.
        "Status" => status: optional<String>,
        /// When the key was created.
        "CreatedAt" => created_at: optional<String>,
        /// The ID of the principal that owns the key.
        "PrincipalId" => principal_id: optional<String>,
        /// The type of that principal.
        "PrincipalType" => principal_type: optional<String>,
        /// The name of that principal.
        "PrincipalName" => principal_name: optional<String>,
        /// The key's account.
        "AccountId" => account_id: optional<String>,
        /// The key's ID.
        "AccessKeyId" => access_key_id: optional<String>,
        /// The user the key belongs to: deprecated in favour of
        /// `PrincipalName`, but what GuardDuty still sends.
        "UserName" => user_name: optional<String>,
    }
}

asff_object! {
    /// `Details.AwsEcrRepository`.
    pub struct AwsEcrRepositoryDetails {
        /// The repository's name.
        "RepositoryName" => repository_name: optional<String>,
        /// The repository's ARN.
        "Arn" => arn: optional<String>,
        /// `MUTABLE` or `IMMUTABLE`.
        "ImageTagMutability" => image_tag_mutability: optional<String>,
        /// Scan-on-push settings.
        "ImageScanningConfiguration" => image_scanning_configuration: optional<serde_json::Value>,
        /// The lifecycle policy.
        "LifecyclePolicy" => lifecycle_policy: optional<serde_json::Value>,
    }
}

asff_object! {
    /// `Details.AwsDynamoDbTable`.
    pub struct AwsDynamoDbTableDetails {
        /// The table's name.
        "TableName" => table_name: optional<String>,
        /// The table's ID.
        "TableId" => table_id: optional<String>,
        /// The table's status.
        "TableStatus" => table_status: optional<String>,
        /// Whether deletion protection is on.
        "DeletionProtectionEnabled" => deletion_protection_enabled: optional<bool>,
    }
}

//! Where a finding's resource is: its account, Region and partition.
//!
//! Every action soar takes on a resource (a remediation, a containment step)
//! must happen where the resource is, not where soar runs. A delegated
//! administrator receives findings from hundreds of member accounts and
//! every Region, and Lambda sets `AWS_REGION` to its own Region, so the
//! ambient configuration is almost never the right place. A [`Location`] is
//! read from the finding alone, and [`crate::aws::SessionFactory`] turns it
//! into an SDK configuration for that account and Region, or says why it
//! cannot.
//!
//! ```
//! use soar_core::Location;
//!
//! let finding = soar_asff::Finding::from_str(r#"{
//!     "SchemaVersion": "2018-10-08", "Id": "f-1",
//!     "ProductArn": "arn:aws-cn:securityhub:cn-north-1::product/aws/securityhub",
//!     "GeneratorId": "security-control/DynamoDB.6", "AwsAccountId": "111111111111",
//!     "Types": [], "CreatedAt": "2026-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z",
//!     "Severity": {"Label": "HIGH"}, "Title": "t", "Description": "d", "Region": "cn-north-1",
//!     "Resources": [{"Type": "AwsDynamoDbTable",
//!                    "Id": "arn:aws-cn:dynamodb:cn-northwest-1:222222222222:table/orders"}]
//! }"#)?;
//! let location = Location::of_finding(&finding, Some("AwsDynamoDbTable"))?;
//! assert_eq!(location.account_id, "222222222222");
//! assert_eq!(location.region, "cn-northwest-1");
//! assert_eq!(location.partition, "aws-cn");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use soar_asff::{is_account_id, Arn, Finding, Resource};

/// The account, Region and partition a resource lives in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The 12-digit account ID that owns the resource.
    pub account_id: String,
    /// The Region the resource is in, such as `eu-west-1`.
    pub region: String,
    /// The partition: `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: String,
}

/// A finding that does not say where its resource is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocationError {
    /// The finding has no resources.
    #[error("finding {finding_id} has no resources")]
    NoResource {
        /// The finding's `Id`.
        finding_id: String,
    },
    /// Neither the resource ARN nor `AwsAccountId` is a 12-digit account ID.
    #[error("finding {finding_id}: neither resource {resource_id} nor AwsAccountId {aws_account_id:?} names a 12-digit account")]
    NoAccount {
        /// The finding's `Id`.
        finding_id: String,
        /// The resource's `Id`.
        resource_id: String,
        /// The finding's `AwsAccountId`.
        aws_account_id: String,
    },
    /// Neither the resource nor the finding names a Region.
    #[error("finding {finding_id}: neither Resources[].Region, the resource ARN nor Region names a Region for {resource_id}")]
    NoRegion {
        /// The finding's `Id`.
        finding_id: String,
        /// The resource's `Id`.
        resource_id: String,
    },
}

impl Location {
    /// A location from its parts.
    pub fn new(
        account_id: impl Into<String>,
        region: impl Into<String>,
        partition: impl Into<String>,
    ) -> Self {
        Location {
            account_id: account_id.into(),
            region: region.into(),
            partition: partition.into(),
        }
    }

    /// Where the finding's resource is.
    ///
    /// The resource is the first one of `resource_type` (the type a control
    /// acts on), or the first resource when none has that type or no type
    /// is given. Then:
    /// - the **account** is the one in the resource ARN, then `AwsAccountId`;
    /// - the **Region** is the resource's `Region`, then its ARN's Region,
    ///   then the finding's `Region`. The `ProductArn` Region is never used:
    ///   with cross-Region aggregation it is the aggregation Region;
    /// - the **partition** is the resource's `Partition`, then its ARN's
    ///   partition, then the `ProductArn`'s, then the one the Region belongs
    ///   to (`cn-*` is `aws-cn`, `us-gov-*` is `aws-us-gov`).
    ///
    /// # Errors
    /// [`LocationError`] when the finding has no resource, no 12-digit
    /// account or no Region: acting anywhere else would be a guess.
    pub fn of_finding(
        finding: &Finding,
        resource_type: Option<&str>,
    ) -> Result<Location, LocationError> {
        let resource = resource_type
            .and_then(|kind| finding.resources.iter().find(|r| r.resource_type == kind))
            .or_else(|| finding.primary_resource())
            .ok_or_else(|| LocationError::NoResource {
                finding_id: finding.id.clone(),
            })?;
        let arn = resource.arn();
        let account_id = arn
            .and_then(|arn| arn.account_id())
            .or_else(|| is_account_id(&finding.aws_account_id).then_some(&*finding.aws_account_id))
            .ok_or_else(|| LocationError::NoAccount {
                finding_id: finding.id.clone(),
                resource_id: resource.id.clone(),
                aws_account_id: finding.aws_account_id.clone(),
            })?;
        let region = resource_region(resource, finding).ok_or_else(|| LocationError::NoRegion {
            finding_id: finding.id.clone(),
            resource_id: resource.id.clone(),
        })?;
        let partition = resource
            .partition
            .as_deref()
            .filter(|p| !p.is_empty())
            .or_else(|| arn.map(|arn| arn.partition).filter(|p| !p.is_empty()))
            .or_else(|| {
                Arn::parse(&finding.product_arn)
                    .ok()
                    .map(|arn| arn.partition)
                    .filter(|p| !p.is_empty())
            })
            .unwrap_or_else(|| partition_of_region(region));
        Ok(Location::new(account_id, region, partition))
    }

    /// The ARN of the IAM role `role_name` in this location's account.
    pub fn role_arn(&self, role_name: &str) -> String {
        format!(
            "arn:{}:iam::{}:role/{role_name}",
            self.partition, self.account_id
        )
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "account {} in {}", self.account_id, self.region)
    }
}

fn resource_region<'a>(resource: &'a Resource, finding: &'a Finding) -> Option<&'a str> {
    resource
        .region()
        .or(finding.region.as_deref())
        .filter(|region| !region.is_empty())
}

/// The partition a Region belongs to.
///
/// ```
/// use soar_core::location::partition_of_region;
/// assert_eq!(partition_of_region("cn-northwest-1"), "aws-cn");
/// assert_eq!(partition_of_region("us-gov-west-1"), "aws-us-gov");
/// assert_eq!(partition_of_region("eu-central-1"), "aws");
/// ```
pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eusc-") {
        "aws-eusc"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use soar_asff::Resource;

    use super::*;

    fn finding(resources: Vec<Resource>, region: Option<&str>) -> Finding {
        Finding {
            id: "f-1".into(),
            product_arn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub".into(),
            aws_account_id: "111111111111".into(),
            region: region.map(str::to_owned),
            resources,
            ..Finding::default()
        }
    }

    fn resource(kind: &str, id: &str, region: Option<&str>) -> Resource {
        Resource {
            resource_type: kind.into(),
            id: id.into(),
            region: region.map(str::to_owned),
            ..Resource::default()
        }
    }

    #[test]
    fn resource_region_wins_over_the_finding_region() {
        let f = finding(
            vec![resource(
                "AwsS3Bucket",
                "arn:aws:s3:::b",
                Some("ap-south-1"),
            )],
            Some("eu-west-1"),
        );
        let location = Location::of_finding(&f, Some("AwsS3Bucket")).unwrap();
        assert_eq!(location, Location::new("111111111111", "ap-south-1", "aws"));
    }

    #[test]
    fn finding_region_is_the_fallback_and_product_arn_region_is_never_used() {
        let f = finding(
            vec![resource("AwsS3Bucket", "arn:aws:s3:::b", None)],
            Some("us-west-2"),
        );
        assert_eq!(Location::of_finding(&f, None).unwrap().region, "us-west-2");
        let f = finding(vec![resource("AwsS3Bucket", "arn:aws:s3:::b", None)], None);
        assert_eq!(
            Location::of_finding(&f, None),
            Err(LocationError::NoRegion {
                finding_id: "f-1".into(),
                resource_id: "arn:aws:s3:::b".into()
            })
        );
    }

    #[test]
    fn account_comes_from_the_resource_arn_then_the_finding() {
        let table = "arn:aws:dynamodb:eu-west-1:222222222222:table/t";
        let f = finding(
            vec![resource("AwsDynamoDbTable", table, None)],
            Some("eu-west-1"),
        );
        assert_eq!(
            Location::of_finding(&f, None).unwrap().account_id,
            "222222222222"
        );
        let mut f = finding(
            vec![resource("AwsS3Bucket", "arn:aws:s3:::b", None)],
            Some("eu-west-1"),
        );
        assert_eq!(
            Location::of_finding(&f, None).unwrap().account_id,
            "111111111111"
        );
        f.aws_account_id = "not-an-account".into();
        assert!(matches!(
            Location::of_finding(&f, None),
            Err(LocationError::NoAccount { .. })
        ));
    }

    #[test]
    fn the_resource_of_the_requested_type_is_used() {
        let f = finding(
            vec![
                resource(
                    "AwsAccount",
                    "AWS::::Account:111111111111",
                    Some("eu-west-1"),
                ),
                resource(
                    "AwsKmsKey",
                    "arn:aws-us-gov:kms:us-gov-west-1:333333333333:key/k",
                    None,
                ),
            ],
            Some("eu-west-1"),
        );
        let location = Location::of_finding(&f, Some("AwsKmsKey")).unwrap();
        assert_eq!(
            location,
            Location::new("333333333333", "us-gov-west-1", "aws-us-gov")
        );
        assert_eq!(
            location.role_arn("soar"),
            "arn:aws-us-gov:iam::333333333333:role/soar"
        );
        assert!(matches!(
            Location::of_finding(&finding(vec![], None), None),
            Err(LocationError::NoResource { .. })
        ));
    }

    #[test]
    fn partition_falls_back_to_the_product_arn_then_the_region() {
        let mut f = finding(
            vec![resource("AwsS3Bucket", "bucket-name", Some("cn-north-1"))],
            None,
        );
        f.product_arn = "arn:aws-cn:securityhub:cn-north-1::product/aws/securityhub".into();
        assert_eq!(Location::of_finding(&f, None).unwrap().partition, "aws-cn");
        f.product_arn = String::new();
        assert_eq!(Location::of_finding(&f, None).unwrap().partition, "aws-cn");
        let mut r = resource("AwsS3Bucket", "bucket-name", Some("us-gov-east-1"));
        r.partition = Some("aws-us-gov".into());
        let f = finding(vec![r], None);
        assert_eq!(
            Location::of_finding(&f, None).unwrap().partition,
            "aws-us-gov"
        );
    }
}

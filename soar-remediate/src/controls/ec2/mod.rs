//! EC2 controls, and reading an EC2 resource's ID from a finding.
//!
//! EC2 has no modelled errors: every failure is a code in the error
//! metadata (`InvalidInstanceID.NotFound`, `UnauthorizedOperation`,
//! `RequestLimitExceeded`), which soar-core's error classes already know.

// One `mod` per control file in this directory, and `all()`, from build.rs.
include!(concat!(env!("OUT_DIR"), "/controls/ec2.rs"));

use soar_asff::Finding;

use crate::controls::{control_id, resource};
use crate::{ControlMeta, RemediationError};

/// The EC2 ID of the finding's resource of `meta.resource_type`: what
/// follows the last `/` of its ARN (`arn:aws:ec2:<region>:<account>:instance/i-0abc`),
/// or the resource ID itself when it is not an ARN.
pub(crate) fn ec2_id(finding: &Finding, meta: &ControlMeta) -> Result<String, RemediationError> {
    let resource = resource(finding, meta)?;
    let id = match soar_asff::Arn::parse(&resource.id) {
        Ok(arn) => arn
            .resource
            .rsplit_once('/')
            .map_or(arn.resource, |(_, id)| id),
        Err(_) => resource.id.as_str(),
    };
    if id.is_empty() || id.contains([':', '/']) {
        return Err(RemediationError::UnsupportedFinding {
            control_id: control_id(finding, meta.ids).to_owned(),
            reason: format!("cannot tell the EC2 resource ID from {:?}", resource.id),
        });
    }
    Ok(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::finding_for;
    use crate::Service;

    const META: ControlMeta = ControlMeta {
        ids: &["EC2.8"],
        title: "t",
        service: Service::Ec2,
        resource_type: "AwsEc2Instance",
        iam_actions: &["ec2:DescribeInstances"],
        destructive: false,
        exemption_tag: None,
    };

    #[test]
    fn the_id_comes_from_the_arn_or_the_resource_id() {
        for (resource_id, expected) in [
            (
                "arn:aws:ec2:us-east-1:111111111111:instance/i-0abc",
                "i-0abc",
            ),
            (
                "arn:aws-cn:ec2:cn-north-1:111111111111:instance/i-0abc",
                "i-0abc",
            ),
            ("i-0abc", "i-0abc"),
        ] {
            let finding = finding_for("EC2.8", "AwsEc2Instance", resource_id);
            assert_eq!(ec2_id(&finding, &META).unwrap(), expected, "{resource_id}");
        }
    }

    #[test]
    fn an_unreadable_id_or_another_resource_type_is_refused_with_the_reason() {
        let finding = finding_for(
            "EC2.8",
            "AwsEc2Instance",
            "arn:aws:ec2:us-east-1:111111111111:instance/",
        );
        let error = ec2_id(&finding, &META).unwrap_err().to_string();
        assert!(error.contains("cannot tell the EC2 resource ID"), "{error}");
        let finding = finding_for("EC2.8", "AwsEc2Subnet", "subnet-1");
        let error = ec2_id(&finding, &META).unwrap_err().to_string();
        assert!(error.contains("no AwsEc2Instance resource"), "{error}");
    }
}

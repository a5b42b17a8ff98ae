//! The `detail` of `AWS API Call via CloudTrail` and `AWS Console Sign In
//! via CloudTrail` events.

use crate::object::asff_object;

asff_object! {
    /// A CloudTrail record delivered through EventBridge.
    pub struct CloudTrailDetail {
        /// The record format's version.
        "eventVersion" => event_version: optional<String>,
        /// Who made the call.
        "userIdentity" => user_identity: optional<UserIdentity>,
        /// When.
        "eventTime" => event_time: optional<String>,
        /// The service, such as `s3.amazonaws.com`.
        "eventSource" => event_source: required<String>,
        /// The API action, such as `CreateBucket`.
        "eventName" => event_name: required<String>,
        /// The Region of the call.
        "awsRegion" => aws_region: optional<String>,
        /// The caller's IP address.
        "sourceIPAddress" => source_ip_address: optional<String>,
        /// The caller's user agent.
        "userAgent" => user_agent: optional<String>,
        /// The request's parameters.
        "requestParameters" => request_parameters: optional<serde_json::Value>,
        /// The response's elements.
        "responseElements" => response_elements: optional<serde_json::Value>,
        /// The error code, for failed calls.
        "errorCode" => error_code: optional<String>,
        /// The error message, for failed calls.
        "errorMessage" => error_message: optional<String>,
        /// The request's ID.
        "requestID" => request_id: optional<String>,
        /// The record's ID.
        "eventID" => event_id: optional<String>,
        /// `AwsApiCall`, `AwsConsoleSignIn`, ...
        "eventType" => event_type: optional<String>,
        /// Whether the call only reads.
        "readOnly" => read_only: optional<bool>,
    }
}

asff_object! {
    /// The identity that made a call.
    pub struct UserIdentity {
        /// `Root`, `IAMUser`, `AssumedRole`, ...
        "type" => identity_type: optional<String>,
        /// The principal's ID.
        "principalId" => principal_id: optional<String>,
        /// The principal's ARN.
        "arn" => arn: optional<String>,
        /// The principal's account.
        "accountId" => account_id: optional<String>,
        /// The IAM user's name.
        "userName" => user_name: optional<String>,
        /// The access key used.
        "accessKeyId" => access_key_id: optional<String>,
    }
}

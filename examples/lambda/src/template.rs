//! The deployment templates, generated: the SAM template of the reference
//! deployment (`examples/template.yaml`) and the StackSet template of the
//! role soar assumes in every member account (`examples/stackset-role.yaml`).
//!
//! They are generated, not written by hand, for the same reason as the
//! Step Functions definitions: the remediation role's permissions are
//! [`Registry::iam_policy`], so a control added to the registry is granted
//! in the next template, and nothing else is. A test fails when the
//! committed files differ from what [`sam_template`] and
//! [`stackset_template`] produce; `cfn-lint` checks them in the test
//! command. [`template_files`] gives both files; `soar template --out
//! examples` writes them.
//!
//! The templates are built as [`serde_json::Value`]s and written as YAML by
//! [`to_yaml`], a small emitter for exactly that: block style, every string
//! double-quoted (with JSON escapes, which YAML's double-quoted style
//! shares), plain keys where they are simple identifiers, and `[]` / `{}`
//! for empty collections. CloudFormation's intrinsic functions are written
//! in their long form (`{"Fn::Sub": ...}`), which YAML reads as well as
//! JSON does, so no YAML tags are needed.
//!
//! # Building with SAM
//!
//! Each function has `Metadata: {BuildMethod: rust-cargolambda, Binary:
//! <binary>}`. SAM's Rust builder runs `cargo lambda build --release
//! --arm64 --bin <binary>` *in* the `CodeUri` directory, then copies
//! `<CodeUri>/target/lambda/<binary>/bootstrap`. Cargo writes a workspace
//! member's artefacts to the *workspace's* `target/`, so `CodeUri` is the
//! workspace root (`..` from `examples/`), not the member
//! (`examples/lambda`): with the member, the build succeeds and the copy
//! finds nothing. Do not set `CARGO_TARGET_DIR` when running `sam build`
//! (from `examples/`; SAM CLI releases from before its Rust support left
//! preview, in December 2025, need `sam build --beta-features`).
//!
//! # Names
//!
//! Functions, state machines, their log groups and the alarms are named
//! after the stack (`${AWS::StackName}-decide`), so that two stacks in one
//! account do not collide and the names read well: a stack called `soar`
//! gets `soar-decide` and the alarm `INFRA-soar-decide-errors-HIGH`. Alarm
//! names follow `INFRA-<component>-<type>-<SEVERITY>`, which is how an
//! alarm comes back into soar as a finding (its severity and domain are
//! read from the name), so keep stack names short (the function names are
//! limited to 64 characters) and free of the words `INFRA`, `LOW`,
//! `MEDIUM`, `HIGH`, `CRITICAL` and `INFORMATIONAL`.

use std::cmp::Ordering;

use serde_json::{json, Map, Value};
use soar_remediate::Registry;

/// The file name of the SAM template, in `examples/`.
pub const SAM_TEMPLATE_FILE: &str = "template.yaml";

/// The file name of the StackSet template, in `examples/`.
pub const STACKSET_TEMPLATE_FILE: &str = "stackset-role.yaml";

/// Both templates, as (file name, contents): what `examples/` holds.
pub fn template_files(registry: &Registry) -> [(&'static str, String); 2] {
    [
        (SAM_TEMPLATE_FILE, sam_template(registry)),
        (STACKSET_TEMPLATE_FILE, stackset_template(registry)),
    ]
}

/// The SAM template of the reference deployment, as YAML.
pub fn sam_template(registry: &Registry) -> String {
    to_yaml(&sam_template_value(registry))
}

/// The StackSet template of the cross-account role, as YAML.
pub fn stackset_template(registry: &Registry) -> String {
    to_yaml(&stackset_template_value(registry))
}

/// A Lambda function of the deployment.
struct Function {
    /// The prefix of its logical IDs: `Decide` gives `DecideFunction`,
    /// `DecideRole`, `DecideLogGroup`, `DecideErrorsAlarm` and the
    /// definition substitution `DecideFunctionArn`.
    id: &'static str,
    /// The binary of package `soar-lambda`.
    binary: &'static str,
    /// The end of its name, after the stack name.
    suffix: &'static str,
    /// Seconds.
    timeout: u32,
    description: &'static str,
}

const DECIDE: &str = "Decide";
const REMEDIATE: &str = "Remediate";
const UPDATE: &str = "Update";
const SWEEP: &str = "Sweep";
const ANALYSE: &str = "Analyse";
const REPORT: &str = "Report";

const FUNCTIONS: [Function; 6] = [
    Function {
        id: DECIDE,
        binary: "soar-decide",
        suffix: "decide",
        timeout: 30,
        description:
            "soar: decides one finding (account data, suppression rules, penalty, remediable check)",
    },
    Function {
        id: REMEDIATE,
        binary: "soar-remediate",
        suffix: "remediate",
        // The longest: a remediation reads, changes and reads back, in
        // another account, with the SDK's retries on throttling.
        timeout: 120,
        description: "soar: remediates a finding's control in the finding's own account and Region",
    },
    Function {
        id: UPDATE,
        binary: "soar-update",
        suffix: "update",
        // A ticket system's calls: each retried on 429 and 5xx, with waits
        // of up to 5 s (soar_tickets::RetryPolicy).
        timeout: 60,
        description:
            "soar: records the outcome (ticket, autoremediation) and updates the finding's workflow",
    },
    Function {
        id: SWEEP,
        binary: "soar-sweep",
        suffix: "sweep",
        timeout: 60,
        description: "soar: reads one page of the open findings for the backlog sweep",
    },
    Function {
        id: ANALYSE,
        binary: "soar-analyse",
        suffix: "analyse",
        // Above the model's own timeout (SOAR_AI_CONFIG's timeout_seconds,
        // 20 by default, at most settings::MAX_AI_TIMEOUT_SECONDS), which
        // writes the note; the state's TimeoutSeconds is above this.
        timeout: 30,
        description: "soar: the AI analysis of a ticket, incident or AUTOFIXED message (Bedrock), never holding the finding up",
    },
    Function {
        id: REPORT,
        binary: "soar-report",
        suffix: "report",
        // Four weeks of scans, then a model call per report section (at
        // most 12, each bounded by the model's timeout).
        timeout: 600,
        description: "soar: the weekly report and the hourly overdue reminders",
    },
];

/// A state machine of the deployment; its definition is
/// `examples/statemachines/<name>.asl.json`.
struct StateMachine {
    /// The prefix of its logical IDs: `AsffProcessor` gives
    /// `AsffProcessorStateMachine`, `AsffProcessorLogGroup` and
    /// `AsffProcessorFailedExecutionsAlarm`.
    id: &'static str,
    /// The file name and the end of its name, after the stack name.
    name: &'static str,
    express: bool,
    /// The functions it invokes (their [`Function::id`]s).
    invokes: &'static [&'static str],
    /// Whether it runs a Distributed Map, whose child executions it starts.
    distributed_map: bool,
}

const STATE_MACHINES: [StateMachine; 4] = [
    StateMachine {
        id: "AsffProcessor",
        name: "asff-processor",
        express: true,
        invokes: &[DECIDE, REMEDIATE, ANALYSE, UPDATE],
        distributed_map: false,
    },
    StateMachine {
        id: "Autoremediation",
        name: "autoremediation",
        express: true,
        invokes: &[REMEDIATE, ANALYSE, UPDATE],
        distributed_map: false,
    },
    StateMachine {
        id: "Incident",
        name: "incident",
        express: true,
        invokes: &[REMEDIATE, ANALYSE, UPDATE],
        distributed_map: false,
    },
    StateMachine {
        id: "BacklogSweep",
        name: "backlog-sweep",
        express: false,
        invokes: &[SWEEP, DECIDE, REMEDIATE, ANALYSE, UPDATE],
        distributed_map: true,
    },
];

/// The state machine the Security Hub events start.
const PROCESSOR: &str = "AsffProcessorStateMachine";

/// The DynamoDB tables: logical ID, sort key (`at`, a number) or not.
const TABLES: [(&str, bool); 3] = [
    ("TicketsTable", false),
    ("IncidentsTable", true),
    ("AutoremediationsTable", true),
];

/// How long the deployment's own logs are kept, in days.
const LOG_RETENTION_DAYS: u32 = 365;

fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

fn reference(name: &str) -> Value {
    json!({ "Ref": name })
}

fn get_att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}

fn tags_map() -> Value {
    json!({ "Application": "soar", "Environment": reference("Environment") })
}

fn tags_list() -> Value {
    json!([
        { "Key": "Application", "Value": "soar" },
        { "Key": "Environment", "Value": reference("Environment") },
    ])
}

/// `Fn::Sub` for every resource ARN of `policy` that has a `${...}`: the
/// registry writes its ARNs as `Fn::Sub` strings.
fn with_substitutions(policy: &Value) -> Value {
    let mut policy = policy.clone();
    let wrap = |resource: &mut Value| {
        if let Value::String(arn) = resource {
            if arn.contains("${") {
                *resource = sub(arn);
            }
        }
    };
    if let Some(statements) = policy.get_mut("Statement").and_then(Value::as_array_mut) {
        for statement in statements {
            match statement.get_mut("Resource") {
                Some(Value::Array(resources)) => resources.iter_mut().for_each(wrap),
                Some(resource) => wrap(resource),
                None => {}
            }
        }
    }
    policy
}

/// The containment playbooks' policy: their actions
/// ([`soar_incident::playbook::iam_actions`]), and a guard. The playbooks
/// put an inline deny-all policy on a user or role whose credentials leaked,
/// so the role may call `iam:PutUserPolicy` and `iam:PutRolePolicy`, and IAM
/// has no condition on a policy's contents. The guard denies the roles that
/// hold power over the Organization: `own_roles` (soar's own, which could
/// otherwise grant itself anything), IAM Identity Center's, Control
/// Tower's, StackSets' and Organizations' access roles. What is left is
/// documented in docs/incidents.md: whoever controls soar's role can put an
/// inline policy on any other user or role of the accounts it reaches.
fn containment_policy(mut own_roles: Vec<Value>) -> Value {
    for role in [
        "aws-reserved/*",
        "OrganizationAccountAccessRole",
        "AWSControlTowerExecution",
        "stacksets-exec-*",
        "AWSCloudFormationStackSetExecutionRole",
    ] {
        own_roles.push(sub(&format!("arn:${{AWS::Partition}}:iam::*:role/{role}")));
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ContainmentPlaybooks",
                "Effect": "Allow",
                "Action": soar_incident::playbook::iam_actions(),
                "Resource": "*",
            },
            {
                "Sid": "NeverOnSoarOrOrganizationRoles",
                "Effect": "Deny",
                "Action": ["iam:PutRolePolicy"],
                "Resource": own_roles,
            },
        ],
    })
}

/// Comma-separated control IDs out of `ids` (and `*` when `star`), as a
/// CloudFormation `AllowedPattern`.
fn control_list_pattern(ids: &[&str], star: bool) -> String {
    let alternatives: Vec<String> = ids.iter().map(|id| id.replace('.', "\\.")).collect();
    let one = format!("({})", alternatives.join("|"));
    let list = format!("{one}( *, *{one})*");
    if star {
        format!("^(\\*|{list})?$")
    } else {
        format!("^({list})?$")
    }
}

fn parameters(registry: &Registry) -> Value {
    let ids = registry.control_ids();
    let destructive: Vec<&str> = ids
        .iter()
        .copied()
        // Whole destructive controls, and controls with a destructive step
        // (IAM.8's deletions, RDS.4's original): both are named to allow it.
        .filter(|id| {
            registry
                .get(id)
                .is_some_and(|c| c.meta().destructive || c.destructive_step().is_some())
        })
        .collect();
    json!({
        "Environment": {
            "Type": "String",
            "Description": "The deployment's environment, as a tag on its resources and in the Security Hub custom action's ID.",
            "AllowedValues": ["dev", "staging", "prod"],
            "Default": "dev",
        },
        "RoleName": {
            "Type": "String",
            "Description": "The role soar assumes in member accounts (deployed there by stackset-role.yaml with the same name). soar acts in this account with its own role.",
            "AllowedPattern": "^[\\w+=,.@-]{1,64}$",
            "ConstraintDescription": "an IAM role name: 1 to 64 letters, digits and +=,.@_-",
            "Default": "SoarRemediation",
        },
        "ExternalId": {
            "Type": "String",
            "Description": "The external ID passed to AssumeRole in member accounts, if their role requires one (stackset-role.yaml's ExternalId). Empty for none.",
            "AllowedPattern": "^([\\w+=,.@:/-]{2,1224})?$",
            "ConstraintDescription": "empty, or 2 to 1224 letters, digits and +=,.@:/_-",
            "Default": "",
        },
        "AutoRemediation": {
            "Type": "String",
            "Description": "Whether soar remediates findings of the enabled controls itself (false: it opens tickets only).",
            "AllowedValues": ["true", "false"],
            "Default": "false",
        },
        "EnabledControls": {
            "Type": "String",
            "Description": format!(
                "Comma-separated control IDs to remediate automatically, or * for every control. The controls: {}.",
                ids.join(", ")
            ),
            "AllowedPattern": control_list_pattern(&ids, true),
            "ConstraintDescription": format!("empty, *, or a comma-separated list of: {}", ids.join(", ")),
            "Default": "",
        },
        "DestructiveControls": {
            "Type": "String",
            "Description": format!(
                "Comma-separated destructive control IDs that may run (they delete data); each must be enabled too. The destructive controls: {}.",
                destructive.join(", ")
            ),
            "AllowedPattern": control_list_pattern(&destructive, false),
            "ConstraintDescription": format!("empty, or a comma-separated list of: {}", destructive.join(", ")),
            "Default": "",
        },
        "OrganizationsLookup": {
            "Type": "String",
            "Description": "Whether account data comes from AWS Organizations (deploy in the management account or a delegated administrator); false: from PipelineConfig's accounts.",
            "AllowedValues": ["true", "false"],
            "Default": "true",
        },
        "PipelineConfig": {
            "Type": "String",
            "Description": "The pipeline configuration, as JSON (soar_core::Config); the parameters above override its auto_remediation settings.",
            "Default": "{}",
        },
        "RemediationSettings": {
            "Type": "String",
            "Description": "The remediation settings, as JSON (soar_remediate::Settings).",
            "Default": "{}",
        },
        "IncidentSettings": {
            "Type": "String",
            "Description": "The incident classification and containment settings, as JSON (soar_incident::IncidentConfig); instances are terminated only with containment.terminate_instances.",
            "Default": "{}",
        },
        "RecordRetentionDays": {
            "Type": "Number",
            "Description": "How long tickets, incidents and autoremediations are kept, in days (their DynamoDB TTL).",
            "MinValue": 1,
            "MaxValue": 36500,
            "Default": 365,
        },
        "SweepPageSize": {
            "Type": "Number",
            "Description": "Findings per GetFindings page in the backlog sweep; a page must fit the state machine's 256 KiB state.",
            "MinValue": 1,
            "MaxValue": 100,
            "Default": 50,
        },
        "TicketSystemSettings": {
            "Type": "String",
            "Description": "The ticket systems' settings, as JSON (soar_tickets::SystemSettings: jira.url, issue_type, priorities, final_status; servicenow.url, table, ...). Which system is used is PipelineConfig's tickets.system (none, jira or servicenow).",
            "Default": "{}",
        },
        "TicketCredentialsParameter": {
            "Type": "String",
            "Description": "The SSM parameter (a SecureString, its name starting with /) holding the ticket system's credentials as {\"user\": ..., \"token\": ...}. Empty for none.",
            "AllowedPattern": "^(/[\\w.\\-/]{1,1010})?$",
            "ConstraintDescription": "empty, or a parameter name starting with /",
            "Default": "",
        },
        "TicketCredentialsSecret": {
            "Type": "String",
            "Description": "Or the ARN of the Secrets Manager secret holding them. Empty for none.",
            "AllowedPattern": "^(arn:[\\w-]+:secretsmanager:[\\w-]+:\\d{12}:secret:[\\w/+=.@-]+)?$",
            "ConstraintDescription": "empty, or a secret's ARN",
            "Default": "",
        },
        "AiConfig": {
            "Type": "String",
            "Description": "The AI analysis settings, as JSON (soar_ai::AiConfig: model_id, region, max_tokens, temperature, timeout_seconds at most 25, iac). model_id \"offline\" writes structured summaries without Bedrock; enabled false turns analysis off.",
            "Default": "{}",
        },
        "MailFrom": {
            "Type": "String",
            "Description": "The SES sender of the team mail (TEAM FIX, AUTOFIXED, CLOSED, INCIDENT, OVERDUE TEAM FIX) and the weekly report: an address verified in SES. Empty: no SES.",
            "AllowedPattern": "^([^@\\s]+@[^@\\s]+\\.[^@\\s]+)?$",
            "ConstraintDescription": "empty, or an email address",
            "Default": "",
        },
        "NotifyTopicArn": {
            "Type": "String",
            "Description": "Or, when MailFrom is empty, an SNS topic the messages are published to as plain text. Empty for none.",
            "AllowedPattern": "^(arn:[\\w-]+:sns:[\\w-]+:\\d{12}:[\\w-]+)?$",
            "ConstraintDescription": "empty, or a topic's ARN",
            "Default": "",
        },
        "ReportRecipients": {
            "Type": "String",
            "Description": "Comma-separated addresses of the weekly report. Empty: the report is built and logged, not mailed.",
            "Default": "",
        },
        "NotificationEmail": {
            "Type": "String",
            "Description": "An email address subscribed to the deployment's alarms. Empty for none.",
            "AllowedPattern": "^([^@\\s]+@[^@\\s]+\\.[^@\\s]+)?$",
            "ConstraintDescription": "empty, or an email address",
            "Default": "",
        },
    })
}

/// The environment of every function: each reads the whole configuration
/// at init (see [`crate::settings`]), so all get the same.
fn environment() -> Value {
    json!({
        "SOAR_CONFIG": reference("PipelineConfig"),
        "SOAR_REMEDIATION_SETTINGS": reference("RemediationSettings"),
        "SOAR_INCIDENT_SETTINGS": reference("IncidentSettings"),
        "SOAR_AUTO_REMEDIATION": reference("AutoRemediation"),
        "SOAR_ENABLED_CONTROLS": reference("EnabledControls"),
        "SOAR_DESTRUCTIVE_CONTROLS": reference("DestructiveControls"),
        "SOAR_ROLE_NAME": reference("RoleName"),
        "SOAR_EXTERNAL_ID": reference("ExternalId"),
        "SOAR_ORGANIZATIONS": reference("OrganizationsLookup"),
        "SOAR_TICKETS_TABLE": reference("TicketsTable"),
        "SOAR_INCIDENTS_TABLE": reference("IncidentsTable"),
        "SOAR_AUTOREMEDIATIONS_TABLE": reference("AutoremediationsTable"),
        "SOAR_RECORD_RETENTION_DAYS": reference("RecordRetentionDays"),
        "SOAR_SWEEP_PAGE_SIZE": reference("SweepPageSize"),
        "SOAR_TICKET_SYSTEM": reference("TicketSystemSettings"),
        "SOAR_TICKET_PARAMETER": reference("TicketCredentialsParameter"),
        "SOAR_TICKET_SECRET": reference("TicketCredentialsSecret"),
        "SOAR_AI_CONFIG": reference("AiConfig"),
        "SOAR_MAIL_FROM": reference("MailFrom"),
        "SOAR_NOTIFY_TOPIC": reference("NotifyTopicArn"),
        "SOAR_REPORT_RECIPIENTS": reference("ReportRecipients"),
    })
}

fn hub_arn() -> Value {
    sub("arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default")
}

/// Account data from AWS Organizations, when it is used.
fn organizations_statements() -> Vec<Value> {
    vec![
        json!({
            "Fn::If": [
                "UseOrganizations",
                {
                    "Sid": "OrganizationsAccounts",
                    "Effect": "Allow",
                    "Action": [
                        "organizations:DescribeAccount",
                        "organizations:ListParents",
                        "organizations:ListTagsForResource",
                    ],
                    "Resource": sub("arn:${AWS::Partition}:organizations::*:account/o-*/*"),
                },
                reference("AWS::NoValue"),
            ]
        }),
        json!({
            "Fn::If": [
                "UseOrganizations",
                {
                    "Sid": "OrganizationsUnits",
                    "Effect": "Allow",
                    "Action": ["organizations:DescribeOrganizationalUnit"],
                    "Resource": sub("arn:${AWS::Partition}:organizations::*:ou/o-*/ou-*"),
                },
                reference("AWS::NoValue"),
            ]
        }),
    ]
}

/// Converse with the Bedrock models (foundation models, and the
/// cross-Region inference profiles of this account).
fn bedrock_statement() -> Value {
    json!({
        "Sid": "AiAnalysis",
        "Effect": "Allow",
        "Action": ["bedrock:InvokeModel"],
        "Resource": [
            sub("arn:${AWS::Partition}:bedrock:*::foundation-model/*"),
            sub("arn:${AWS::Partition}:bedrock:*:${AWS::AccountId}:inference-profile/*"),
        ],
    })
}

/// Sending mail: through SES from the verified identities of this account,
/// or to the one SNS topic, whichever is configured.
fn mail_statements() -> Vec<Value> {
    vec![
        json!({
            "Fn::If": [
                "HasMailFrom",
                {
                    "Sid": "MailThroughSes",
                    "Effect": "Allow",
                    "Action": ["ses:SendEmail"],
                    "Resource": sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"),
                },
                reference("AWS::NoValue"),
            ]
        }),
        json!({
            "Fn::If": [
                "HasNotifyTopic",
                {
                    "Sid": "MessagesToSns",
                    "Effect": "Allow",
                    "Action": ["sns:Publish"],
                    "Resource": reference("NotifyTopicArn"),
                },
                reference("AWS::NoValue"),
            ]
        }),
    ]
}

/// What each function calls, beyond writing its logs (see the ports in
/// `soar_core::aws` and `soar_remediate`).
fn function_statements(id: &str) -> Vec<Value> {
    let table = |logical: &str| get_att(logical, "Arn");
    match id {
        DECIDE => {
            let mut statements = organizations_statements();
            statements.extend([
                json!({
                    "Sid": "OpenTickets",
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem"],
                    "Resource": table("TicketsTable"),
                }),
                json!({
                    "Sid": "SuppressAndReclassify",
                    "Effect": "Allow",
                    "Action": ["securityhub:BatchUpdateFindings"],
                    "Resource": hub_arn(),
                }),
                // The preprocessors re-import a finding under the default
                // product of the account that owns its resource.
                json!({
                    "Sid": "ReimportFindings",
                    "Effect": "Allow",
                    "Action": ["securityhub:BatchImportFindings"],
                    "Resource": sub("arn:${AWS::Partition}:securityhub:*:*:product/*/default"),
                }),
            ]);
            statements
        }
        REMEDIATE => vec![
            json!({
                "Sid": "MemberAccountRoles",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": sub("arn:${AWS::Partition}:iam::*:role/${RoleName}"),
            }),
            json!({
                "Sid": "OwnAccount",
                "Effect": "Allow",
                "Action": ["sts:GetCallerIdentity"],
                "Resource": "*",
            }),
        ],
        UPDATE => {
            let mut statements = vec![
                json!({
                    "Sid": "Records",
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                    "Resource": TABLES.iter().map(|(t, _)| table(t)).collect::<Vec<_>>(),
                }),
                json!({
                    "Sid": "WorkflowUpdates",
                    "Effect": "Allow",
                    "Action": ["securityhub:BatchUpdateFindings"],
                    "Resource": hub_arn(),
                }),
                // The ticket system's credentials: the one parameter or secret
                // named, read once per container.
                json!({
                    "Fn::If": [
                        "HasTicketParameter",
                        {
                            "Sid": "TicketCredentialsParameter",
                            "Effect": "Allow",
                            "Action": ["ssm:GetParameter"],
                            "Resource": sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${TicketCredentialsParameter}"),
                        },
                        reference("AWS::NoValue"),
                    ]
                }),
                json!({
                    "Fn::If": [
                        "HasTicketSecret",
                        {
                            "Sid": "TicketCredentialsSecret",
                            "Effect": "Allow",
                            "Action": ["secretsmanager:GetSecretValue"],
                            "Resource": reference("TicketCredentialsSecret"),
                        },
                        reference("AWS::NoValue"),
                    ]
                }),
            ];
            statements.extend(mail_statements());
            statements
        }
        ANALYSE => vec![bedrock_statement()],
        REPORT => {
            let mut statements = vec![
                json!({
                    "Sid": "History",
                    "Effect": "Allow",
                    "Action": ["dynamodb:Scan"],
                    "Resource": TABLES.iter().map(|(t, _)| table(t)).collect::<Vec<_>>(),
                }),
                bedrock_statement(),
            ];
            // The overdue tickets' team addresses.
            statements.extend(organizations_statements());
            statements.extend(mail_statements());
            statements
        }
        SWEEP => vec![json!({
            "Sid": "OpenFindings",
            "Effect": "Allow",
            "Action": ["securityhub:GetFindings"],
            "Resource": hub_arn(),
        })],
        _ => Vec::new(),
    }
}

fn function_resources(
    function: &Function,
    registry: &Registry,
    resources: &mut Map<String, Value>,
) {
    let id = function.id;
    let name = format!("${{AWS::StackName}}-{}", function.suffix);
    let log_group = format!("{id}LogGroup");
    let role = format!("{id}Role");
    let mut statements = vec![json!({
        "Sid": "Logs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": get_att(&log_group, "Arn"),
    })];
    statements.extend(function_statements(id));
    let mut policies = vec![json!({
        "PolicyName": function.suffix,
        "PolicyDocument": { "Version": "2012-10-17", "Statement": statements },
    })];
    if id == REMEDIATE {
        // It remediates this account's findings with its own role, and
        // the same policy is the member accounts' role.
        policies.push(json!({
            "PolicyName": "remediations",
            "PolicyDocument": with_substitutions(&registry.iam_policy()),
        }));
        policies.push(json!({
            "PolicyName": "containment",
            "PolicyDocument": containment_policy(vec![
                sub("arn:${AWS::Partition}:iam::*:role/${RoleName}"),
                sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-*"),
            ]),
        }));
    }
    resources.insert(
        log_group.clone(),
        json!({
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                "LogGroupName": sub(&format!("/aws/lambda/{name}")),
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        }),
    );
    resources.insert(
        role.clone(),
        json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": format!("The role of soar's {} function", function.binary),
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": { "Service": "lambda.amazonaws.com" },
                        "Action": "sts:AssumeRole",
                    }],
                },
                "Policies": policies,
                "Tags": tags_list(),
            },
        }),
    );
    resources.insert(
        format!("{id}Function"),
        json!({
            "Type": "AWS::Serverless::Function",
            "Metadata": { "BuildMethod": "rust-cargolambda", "Binary": function.binary },
            "Properties": {
                "FunctionName": sub(&name),
                "Description": function.description,
                // The workspace root: see the module documentation.
                "CodeUri": "..",
                "Timeout": function.timeout,
                "Role": get_att(&role, "Arn"),
                "LoggingConfig": { "LogGroup": reference(&log_group) },
            },
        }),
    );
    if id == REPORT {
        let Some(properties) = resources
            .get_mut(&format!("{id}Function"))
            .and_then(|f| f.get_mut("Properties"))
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        properties.insert(
            "Events".to_owned(),
            json!({
                "WeeklyReport": {
                    "Type": "Schedule",
                    "Properties": {
                        "Description": "soar's weekly security report, Mondays at 07:00 UTC",
                        "Schedule": "cron(0 7 ? * MON *)",
                        "Input": "{\"job\": \"weekly_report\"}",
                    },
                },
                "OverdueReminders": {
                    "Type": "Schedule",
                    "Properties": {
                        "Description": "soar's OVERDUE TEAM FIX reminders, hourly",
                        "Schedule": "rate(1 hour)",
                        "Input": "{\"job\": \"overdue_reminders\"}",
                    },
                },
            }),
        );
    }
    resources.insert(
        format!("{id}ErrorsAlarm"),
        json!({
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": sub(&format!("INFRA-{name}-errors-HIGH")),
                "AlarmDescription": format!("soar's {} function failed", function.binary),
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Dimensions": [{ "Name": "FunctionName", "Value": reference(&format!("{id}Function")) }],
                "Statistic": "Sum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [reference("AlarmTopic")],
            },
        }),
    );
}

fn state_machine_resources(machine: &StateMachine, resources: &mut Map<String, Value>) {
    let id = machine.id;
    let name = format!("${{AWS::StackName}}-{}", machine.name);
    let log_group = format!("{id}LogGroup");
    let logical = format!("{id}StateMachine");
    let substitutions: Map<String, Value> = machine
        .invokes
        .iter()
        .map(|f| {
            (
                format!("{f}FunctionArn"),
                get_att(&format!("{f}Function"), "Arn"),
            )
        })
        .collect();
    let mut statements = vec![
        json!({
            "Sid": "InvokeFunctions",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": machine
                .invokes
                .iter()
                .map(|f| get_att(&format!("{f}Function"), "Arn"))
                .collect::<Vec<_>>(),
        }),
        // Step Functions delivers logs through CloudWatch Logs' log
        // delivery, whose actions take no resource.
        json!({
            "Sid": "LogDelivery",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "logs:GetLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:UpdateLogDelivery",
            ],
            "Resource": "*",
        }),
    ];
    if machine.distributed_map {
        // Its own ARN, built from its name: a reference to the state
        // machine would make its role depend on it, and it on its role.
        let arn = format!("arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{name}");
        let executions = format!(
            "arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:execution:{name}"
        );
        statements.push(json!({
            "Sid": "DistributedMapChildren",
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": sub(&arn),
        }));
        statements.push(json!({
            "Sid": "DistributedMapChildExecutions",
            "Effect": "Allow",
            "Action": ["states:DescribeExecution", "states:StopExecution"],
            "Resource": [sub(&format!("{executions}/*")), sub(&format!("{executions}:*"))],
        }));
    }
    resources.insert(
        log_group.clone(),
        json!({
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                // The prefix Step Functions recommends, which keeps the log
                // groups' resource policy short.
                "LogGroupName": sub(&format!("/aws/vendedlogs/states/{name}")),
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        }),
    );
    resources.insert(
        logical.clone(),
        json!({
            "Type": "AWS::Serverless::StateMachine",
            "Properties": {
                "Name": sub(&name),
                "Type": if machine.express { "EXPRESS" } else { "STANDARD" },
                "DefinitionUri": format!("statemachines/{}.asl.json", machine.name),
                "DefinitionSubstitutions": substitutions,
                "Logging": {
                    "Level": "ERROR",
                    "IncludeExecutionData": true,
                    "Destinations": [{ "CloudWatchLogsLogGroup": { "LogGroupArn": get_att(&log_group, "Arn") } }],
                },
                "Policies": [{ "Version": "2012-10-17", "Statement": statements }],
                "Tags": tags_map(),
            },
        }),
    );
    resources.insert(
        format!("{id}FailedExecutionsAlarm"),
        json!({
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": sub(&format!("INFRA-{name}-failed-executions-HIGH")),
                "AlarmDescription": format!("An execution of soar's {} state machine failed", machine.name),
                "Namespace": "AWS/States",
                "MetricName": "ExecutionsFailed",
                "Dimensions": [{ "Name": "StateMachineArn", "Value": reference(&logical) }],
                "Statistic": "Sum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [reference("AlarmTopic")],
            },
        }),
    );
}

fn table_resource(sort_key: bool) -> Value {
    let mut attributes = vec![json!({ "AttributeName": "finding_id", "AttributeType": "S" })];
    let mut key = vec![json!({ "AttributeName": "finding_id", "KeyType": "HASH" })];
    if sort_key {
        attributes.push(json!({ "AttributeName": "at", "AttributeType": "N" }));
        key.push(json!({ "AttributeName": "at", "KeyType": "RANGE" }));
    }
    json!({
        "Type": "AWS::DynamoDB::Table",
        // The records outlive the stack: deletion protection refuses to
        // delete the table, and Retain keeps CloudFormation from trying.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": attributes,
            "KeySchema": key,
            "TimeToLiveSpecification": { "AttributeName": "expires_at", "Enabled": true },
            // soar's own DynamoDB.2 and DynamoDB.6.
            "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": true },
            "DeletionProtectionEnabled": true,
            "Tags": tags_list(),
        },
    })
}

fn events_resources(resources: &mut Map<String, Value>) {
    resources.insert(
        "RemediateAction".to_owned(),
        json!({
            "Type": "AWS::SecurityHub::ActionTarget",
            "Properties": {
                "Name": "Remediate with soar",
                "Description": "Sends the selected findings to soar, which remediates or tickets them.",
                "Id": sub("SoarRemediate${Environment}"),
            },
        }),
    );
    resources.insert(
        "EventsRole".to_owned(),
        json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": "Lets EventBridge start soar's processor with Security Hub's events",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": { "Service": "events.amazonaws.com" },
                        "Action": "sts:AssumeRole",
                    }],
                },
                "Policies": [{
                    "PolicyName": "start-processor",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "StartProcessor",
                            "Effect": "Allow",
                            "Action": ["states:StartExecution"],
                            "Resource": reference(PROCESSOR),
                        }],
                    },
                }],
                "Tags": tags_list(),
            },
        }),
    );
    let target = json!([{
        "Id": "asff-processor",
        "Arn": reference(PROCESSOR),
        "RoleArn": get_att("EventsRole", "Arn"),
    }]);
    resources.insert(
        "ImportedFindingsRule".to_owned(),
        json!({
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "New and notified active findings, to soar's processor",
                "State": "ENABLED",
                "EventPattern": {
                    "source": ["aws.securityhub"],
                    "detail-type": ["Security Hub Findings - Imported"],
                    "detail": {
                        "findings": {
                            "Workflow": { "Status": ["NEW", "NOTIFIED"] },
                            "RecordState": ["ACTIVE"],
                        },
                    },
                },
                "Targets": target.clone(),
            },
        }),
    );
    resources.insert(
        "CustomActionRule".to_owned(),
        json!({
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "Findings sent with the Remediate with soar custom action, to soar's processor",
                "State": "ENABLED",
                "EventPattern": {
                    "source": ["aws.securityhub"],
                    "detail-type": ["Security Hub Findings - Custom Action"],
                    "resources": [get_att("RemediateAction", "ActionTargetArn")],
                },
                "Targets": target,
            },
        }),
    );
}

/// The SAM template, as a value: parameters, the four functions with their
/// roles, the state machines, the Security Hub rules and custom action, the
/// tables, the alarms and their topic.
pub fn sam_template_value(registry: &Registry) -> Value {
    let mut resources = Map::new();
    for function in &FUNCTIONS {
        function_resources(function, registry, &mut resources);
    }
    for machine in &STATE_MACHINES {
        state_machine_resources(machine, &mut resources);
    }
    events_resources(&mut resources);
    for (logical, sort_key) in TABLES {
        resources.insert(logical.to_owned(), table_resource(sort_key));
    }
    resources.insert(
        "AlarmTopic".to_owned(),
        json!({
            "Type": "AWS::SNS::Topic",
            "Properties": { "DisplayName": "soar alarms", "Tags": tags_list() },
        }),
    );
    resources.insert(
        "AlarmEmailSubscription".to_owned(),
        json!({
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasNotificationEmail",
            "Properties": {
                "TopicArn": reference("AlarmTopic"),
                "Protocol": "email",
                "Endpoint": reference("NotificationEmail"),
            },
        }),
    );
    let mut outputs = Map::new();
    for machine in &STATE_MACHINES {
        outputs.insert(
            format!("{}StateMachineArn", machine.id),
            json!({
                "Description": format!("The {} state machine", machine.name),
                "Value": reference(&format!("{}StateMachine", machine.id)),
            }),
        );
    }
    outputs.insert(
        "RemediateActionArn".to_owned(),
        json!({
            "Description": "The Security Hub custom action Remediate with soar",
            "Value": get_att("RemediateAction", "ActionTargetArn"),
        }),
    );
    outputs.insert(
        "RemediationRoleArn".to_owned(),
        json!({
            "Description": "The remediation function's role: stackset-role.yaml's SoarRemediationRoleArn, which the member accounts' role trusts",
            "Value": get_att("RemediateRole", "Arn"),
        }),
    );
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": "soar: security orchestration on AWS Security Hub (generated by soar_lambda::template; do not edit)",
        "Parameters": parameters(registry),
        "Conditions": {
            "HasNotificationEmail": { "Fn::Not": [{ "Fn::Equals": [reference("NotificationEmail"), ""] }] },
            "UseOrganizations": { "Fn::Equals": [reference("OrganizationsLookup"), "true"] },
            "HasTicketParameter": { "Fn::Not": [{ "Fn::Equals": [reference("TicketCredentialsParameter"), ""] }] },
            "HasTicketSecret": { "Fn::Not": [{ "Fn::Equals": [reference("TicketCredentialsSecret"), ""] }] },
            "HasMailFrom": { "Fn::Not": [{ "Fn::Equals": [reference("MailFrom"), ""] }] },
            "HasNotifyTopic": { "Fn::Not": [{ "Fn::Equals": [reference("NotifyTopicArn"), ""] }] },
        },
        "Globals": {
            "Function": {
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Architectures": ["arm64"],
                "MemorySize": 128,
                "Environment": { "Variables": environment() },
                "Tags": tags_map(),
            },
        },
        "Resources": resources,
        "Outputs": outputs,
    })
}

/// The StackSet template, as a value: the role named `RoleName`, trusted by
/// soar's remediation role (or soar's account, with an optional external
/// ID), with the registry's policy.
pub fn stackset_template_value(registry: &Registry) -> Value {
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "The role soar assumes in a member account to remediate findings and contain incidents there (generated by soar_lambda::template; do not edit)",
        "Parameters": {
            "RoleName": {
                "Type": "String",
                "Description": "The role's name: the RoleName of soar's deployment.",
                "AllowedPattern": "^[\\w+=,.@-]{1,64}$",
                "ConstraintDescription": "an IAM role name: 1 to 64 letters, digits and +=,.@_-",
                "Default": "SoarRemediation",
            },
            "SoarAccountId": {
                "Type": "String",
                "Description": "The account soar is deployed in.",
                "AllowedPattern": "^\\d{12}$",
                "ConstraintDescription": "a 12-digit account ID",
            },
            "SoarRemediationRoleArn": {
                "Type": "String",
                "Description": "soar's remediation role (the deployment's RemediationRoleArn output), the only principal the role trusts. Empty: trust soar's account, which then decides who may assume it.",
                "AllowedPattern": "^(arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]+)?$",
                "ConstraintDescription": "empty, or an IAM role ARN",
                "Default": "",
            },
            "ExternalId": {
                "Type": "String",
                "Description": "An external ID AssumeRole must pass (the deployment's ExternalId). Empty for none.",
                "AllowedPattern": "^([\\w+=,.@:/-]{2,1224})?$",
                "ConstraintDescription": "empty, or 2 to 1224 letters, digits and +=,.@:/_-",
                "Default": "",
            },
        },
        "Conditions": {
            "TrustsRole": { "Fn::Not": [{ "Fn::Equals": [reference("SoarRemediationRoleArn"), ""] }] },
            "HasExternalId": { "Fn::Not": [{ "Fn::Equals": [reference("ExternalId"), ""] }] },
        },
        "Resources": {
            "RemediationRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": reference("RoleName"),
                    "Description": "soar remediates this account's findings and contains its incidents with this role",
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": {
                                    "Fn::If": [
                                        "TrustsRole",
                                        reference("SoarRemediationRoleArn"),
                                        sub("arn:${AWS::Partition}:iam::${SoarAccountId}:root"),
                                    ]
                                },
                            },
                            "Action": "sts:AssumeRole",
                            "Condition": {
                                "Fn::If": [
                                    "HasExternalId",
                                    { "StringEquals": { "sts:ExternalId": reference("ExternalId") } },
                                    reference("AWS::NoValue"),
                                ]
                            },
                        }],
                    },
                    "Policies": [
                        {
                            "PolicyName": "soar-remediations",
                            "PolicyDocument": with_substitutions(&registry.iam_policy()),
                        },
                        {
                            "PolicyName": "soar-containment",
                            "PolicyDocument": containment_policy(vec![
                                sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}"),
                            ]),
                        },
                    ],
                },
            },
        },
    })
}

/// `value` as YAML: block style, strings double-quoted, keys plain when they
/// are simple identifiers, maps in CloudFormation's usual key order (see
/// [`key_order`]).
///
/// ```
/// use serde_json::json;
/// let yaml = soar_lambda::template::to_yaml(&json!({
///     "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}},
/// }));
/// assert_eq!(yaml, "Resources:\n  Topic:\n    Type: \"AWS::SNS::Topic\"\n    Properties: {}\n");
/// ```
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_list(&mut out, items, 0, false),
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

fn indent_to(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// Writes the entries of `map` at `indent`; with `inline_first`, the first
/// one goes where the cursor is (after a list's `- `).
fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize, inline_first: bool) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by(|a, b| key_order(map, a, b));
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 || !inline_first {
            indent_to(out, indent);
        }
        out.push_str(&key_text(key));
        out.push(':');
        match &map[key] {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                write_map(out, child, indent + 2, false);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_list(out, items, indent + 2, false);
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar_text(scalar));
                out.push('\n');
            }
        }
    }
}

fn write_list(out: &mut String, items: &[Value], indent: usize, inline_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            indent_to(out, indent);
        }
        out.push_str("- ");
        match item {
            Value::Object(child) if !child.is_empty() => write_map(out, child, indent + 2, true),
            Value::Array(nested) if !nested.is_empty() => write_list(out, nested, indent + 2, true),
            scalar => {
                out.push_str(&scalar_text(scalar));
                out.push('\n');
            }
        }
    }
}

/// A scalar or an empty collection, on one line.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => quote(text),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
        // null, booleans and numbers: JSON's spelling is YAML's.
        other => other.to_string(),
    }
}

/// `text` as a double-quoted scalar. The escapes are JSON's, which YAML's
/// double-quoted style shares; besides JSON's control characters, the
/// characters YAML 1.1 readers (PyYAML, which cfn-lint uses) take as line
/// breaks or refuse as unprintable are escaped too.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key, plain when it is a simple identifier (`Type`, `Fn::GetAtt`,
/// `detail-type`, `sts:ExternalId`), else double-quoted.
fn key_text(key: &str) -> String {
    let simple = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && !key.ends_with(':')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':'))
        // Words YAML 1.1 reads as booleans or null.
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "y" | "yes" | "n" | "no" | "true" | "false" | "on" | "off" | "null"
        );
    if simple {
        key.to_owned()
    } else {
        quote(key)
    }
}

/// The keys CloudFormation authors write first, in that order; the others
/// follow alphabetically.
const TEMPLATE_KEY_ORDER: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Transform",
    "Description",
    "Parameters",
    "Conditions",
    "Globals",
    "Resources",
    "Outputs",
    "Type",
    "Condition",
    "DependsOn",
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Properties",
    "AllowedValues",
    "AllowedPattern",
    "MinValue",
    "MaxValue",
    "ConstraintDescription",
    "Default",
];

/// The same for IAM policies and their statements.
const POLICY_KEY_ORDER: &[&str] = &[
    "Version",
    "Statement",
    "Sid",
    "Effect",
    "Principal",
    "Action",
    "Resource",
    "Condition",
];

/// The order of two keys of `map`: IAM's order in a policy or a statement
/// (a map with `Effect` or `Statement`), CloudFormation's elsewhere, then
/// alphabetical. Whatever order `map` keeps its keys in, the output is the
/// same.
pub fn key_order(map: &Map<String, Value>, a: &str, b: &str) -> Ordering {
    let order = if map.contains_key("Effect") || map.contains_key("Statement") {
        POLICY_KEY_ORDER
    } else {
        TEMPLATE_KEY_ORDER
    };
    let rank = |key: &str| order.iter().position(|k| *k == key).unwrap_or(order.len());
    rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const COMMITTED_SAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    const COMMITTED_STACKSET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../stackset-role.yaml");
    const REGENERATE: &str = "cargo run --bin soar -- template --out examples";

    // ---- A reader for the YAML `to_yaml` writes, and nothing more. ----

    /// The lines, with every `- ` prefix split into a `-` line and the
    /// rest, two columns further in: then each node is a list (`-` lines),
    /// a map (`key:` lines) or one scalar line.
    fn lines(yaml: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for line in yaml.lines() {
            let mut indent = line.len() - line.trim_start_matches(' ').len();
            let mut rest = &line[indent..];
            while let Some(after) = rest.strip_prefix("- ") {
                out.push((indent, "-".to_owned()));
                indent += 2;
                rest = after;
            }
            out.push((indent, rest.to_owned()));
        }
        out
    }

    fn json_string_prefix(text: &str) -> Option<(String, &str)> {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<String>();
        let value = stream.next()?.ok()?;
        Some((value, &text[stream.byte_offset()..]))
    }

    /// `key: rest` or `key:`, or `None` for a scalar line.
    fn split_key(content: &str) -> Option<(String, &str)> {
        let (key, rest) = if content.starts_with('"') {
            let (key, rest) = json_string_prefix(content)?;
            (key, rest.strip_prefix(':')?)
        } else {
            let bytes = content.as_bytes();
            let colon = (0..bytes.len())
                .find(|&i| bytes[i] == b':' && bytes.get(i + 1).is_none_or(|&b| b == b' '))?;
            (content[..colon].to_owned(), &content[colon + 1..])
        };
        Some((key, rest.trim_start()))
    }

    fn scalar(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not a scalar: {text:?}: {e}"))
    }

    fn node(lines: &[(usize, String)], pos: &mut usize, indent: usize) -> Value {
        let (at, content) = &lines[*pos];
        assert_eq!(*at, indent, "line {pos}: {content:?}");
        if content == "-" {
            let mut items = Vec::new();
            while *pos < lines.len() && lines[*pos] == (indent, "-".to_owned()) {
                *pos += 1;
                items.push(node(lines, pos, indent + 2));
            }
            Value::Array(items)
        } else if split_key(content).is_some() {
            let mut map = Map::new();
            while *pos < lines.len() && lines[*pos].0 == indent {
                let (key, rest) =
                    split_key(&lines[*pos].1).unwrap_or_else(|| panic!("line {pos}: not a key"));
                *pos += 1;
                let value = if rest.is_empty() {
                    node(lines, pos, indent + 2)
                } else {
                    scalar(rest)
                };
                assert!(map.insert(key.clone(), value).is_none(), "{key} twice");
            }
            map.into()
        } else {
            *pos += 1;
            scalar(content)
        }
    }

    fn read_yaml(yaml: &str) -> Value {
        let lines = lines(yaml);
        let mut pos = 0;
        let value = node(&lines, &mut pos, 0);
        assert_eq!(pos, lines.len(), "trailing lines from {pos}");
        value
    }

    // ---- The emitter. ----

    #[test]
    fn emitter_writes_block_style_with_quoted_strings() {
        let cases = [
            (json!({}), "{}\n"),
            (json!([]), "[]\n"),
            (json!("text"), "\"text\"\n"),
            (
                json!({"a": 1, "b": true, "c": null}),
                "a: 1\nb: true\nc: null\n",
            ),
            (json!({"a": [], "b": {}}), "a: []\nb: {}\n"),
            (json!({"list": ["x", 2]}), "list:\n  - \"x\"\n  - 2\n"),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": ["s3:Get"]}]}),
                "Statement:\n  - Effect: \"Allow\"\n    Action:\n      - \"s3:Get\"\n",
            ),
            (
                json!([["a", "b"], ["c"]]),
                "- - \"a\"\n  - \"b\"\n- - \"c\"\n",
            ),
            (json!([{"a": {"b": [1]}}]), "- a:\n    b:\n      - 1\n"),
            (
                json!({"Fn::GetAtt": ["Role", "Arn"]}),
                "Fn::GetAtt:\n  - \"Role\"\n  - \"Arn\"\n",
            ),
            (
                json!({"quote\"d": "say \"hi\"\\"}),
                "\"quote\\\"d\": \"say \\\"hi\\\"\\\\\"\n",
            ),
            (
                json!({"lines": "one\ntwo\tthree\r"}),
                "lines: \"one\\ntwo\\tthree\\r\"\n",
            ),
            (
                json!({"k": "\u{1}\u{7f}\u{85}\u{2028}é😀"}),
                "k: \"\\u0001\\u007f\\u0085\\u2028é😀\"\n",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(to_yaml(&value), expected, "{value}");
        }
    }

    #[test]
    fn keys_are_plain_only_when_simple() {
        for key in [
            "Type",
            "Fn::Sub",
            "detail-type",
            "sts:ExternalId",
            "a.b/c",
            "x1_y",
        ] {
            assert_eq!(key_text(key), key);
        }
        for key in [
            "", "1a", "a b", "a:", "yes", "No", "true", "null", "on", "-a", "a#b", "é",
        ] {
            assert_eq!(
                key_text(key),
                Value::String(key.to_owned()).to_string(),
                "{key:?}"
            );
        }
    }

    #[test]
    fn keys_come_in_cloudformation_order() {
        let yaml = to_yaml(&json!({
            "Outputs": {}, "Resources": {"R": {"Properties": {"B": 1, "A": 2}, "Type": "T", "Condition": "C"}},
            "Transform": "X", "AWSTemplateFormatVersion": "2010-09-09",
            "Policy": {"Statement": [{"Resource": "*", "Condition": {}, "Action": "a", "Effect": "Allow", "Sid": "S"}], "Version": "v"},
        }));
        let keys: Vec<&str> = yaml
            .lines()
            .filter_map(|l| l.trim_start_matches([' ', '-']).split(':').next())
            .collect();
        assert_eq!(
            keys,
            [
                "AWSTemplateFormatVersion",
                "Transform",
                "Resources",
                "R",
                "Type",
                "Condition",
                "Properties",
                "A",
                "B",
                "Outputs",
                "Policy",
                "Version",
                "Statement",
                "Sid",
                "Effect",
                "Action",
                "Resource",
                "Condition"
            ]
        );
    }

    #[test]
    fn emitted_yaml_reads_back_as_the_same_value() {
        let values = [
            json!({"a": {"b": {"c": [1, [2, [3, {}]], {"d": []}]}}, "e": [{"f": "g", "h": [{"i": null}]}]}),
            json!([{"k": "v: with colon", "Fn::Sub": "${AWS::Region}"}, "- not a list", "# not a comment"]),
            json!({"\"": "\"", "a: b": "c: d", "multi": "line\nbreak", "n": -1.5e10, "t": false}),
            sam_template_value(&Registry::default()),
            stackset_template_value(&Registry::default()),
        ];
        for value in values {
            assert_eq!(read_yaml(&to_yaml(&value)), value, "{value}");
        }
    }

    // ---- The templates. ----

    #[test]
    fn committed_templates_are_generated() {
        let registry = Registry::default();
        for (path, generated) in [
            (COMMITTED_SAM, sam_template(&registry)),
            (COMMITTED_STACKSET, stackset_template(&registry)),
        ] {
            let committed = std::fs::read_to_string(path).unwrap_or_default();
            let file = path.rsplit('/').next().unwrap_or(path);
            // Not assert_eq!: a thousand-line diff would bury the message.
            assert!(
                committed == generated,
                "examples/{file} is out of date; regenerate it with `{REGENERATE}`"
            );
        }
    }

    /// Every name a template refers to (`Ref`, `Fn::GetAtt`, `${...}` in
    /// `Fn::Sub`, conditions), for checks cfn-lint would otherwise be the
    /// first to make.
    #[derive(Default)]
    struct Uses {
        names: BTreeSet<String>,
        conditions: BTreeSet<String>,
    }

    fn collect(value: &Value, uses: &mut Uses) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    match (key.as_str(), child) {
                        ("Ref", Value::String(name)) => {
                            uses.names.insert(name.clone());
                        }
                        ("Fn::GetAtt", Value::Array(parts)) => {
                            uses.names.insert(parts[0].as_str().unwrap().to_owned());
                        }
                        ("Fn::Sub", Value::String(text)) => {
                            for piece in text.split("${").skip(1) {
                                let name = piece.split('}').next().unwrap();
                                uses.names
                                    .insert(name.split('.').next().unwrap().to_owned());
                            }
                        }
                        ("Fn::If", Value::Array(parts)) => {
                            uses.conditions
                                .insert(parts[0].as_str().unwrap().to_owned());
                        }
                        ("Condition", Value::String(name)) => {
                            uses.conditions.insert(name.clone());
                        }
                        _ => {}
                    }
                    collect(child, uses);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect(item, uses)),
            _ => {}
        }
    }

    fn check_references(template: &Value) {
        let mut uses = Uses::default();
        collect(&template["Resources"], &mut uses);
        collect(&template["Outputs"], &mut uses);
        collect(&template["Globals"], &mut uses);
        let keys = |section: &str| -> BTreeSet<String> {
            template[section]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (parameters, resources, conditions) =
            (keys("Parameters"), keys("Resources"), keys("Conditions"));
        for name in &uses.names {
            assert!(
                name.starts_with("AWS::") || parameters.contains(name) || resources.contains(name),
                "{name} is referred to and not defined"
            );
        }
        for parameter in &parameters {
            assert!(
                uses.names.contains(parameter),
                "parameter {parameter} is not used"
            );
        }
        assert_eq!(uses.conditions, conditions, "conditions used and defined");
        for (name, parameter) in template["Parameters"].as_object().unwrap() {
            assert!(
                parameter["Description"].is_string(),
                "{name} has no description"
            );
        }
    }

    #[test]
    fn every_reference_is_defined_and_every_parameter_used() {
        check_references(&sam_template_value(&Registry::default()));
        check_references(&stackset_template_value(&Registry::default()));
    }

    #[test]
    fn functions_set_every_documented_variable_and_are_binaries() {
        // The variables of settings.rs's table, `| `SOAR_...` | ...`.
        let documented: BTreeSet<String> = include_str!("settings.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("//! | `"))
            .filter_map(|rest| rest.split('`').next())
            .filter(|name| name.starts_with("SOAR_"))
            .map(str::to_owned)
            .collect();
        let set: BTreeSet<String> = environment().as_object().unwrap().keys().cloned().collect();
        assert_eq!(set, documented);
        let template = sam_template_value(&Registry::default());
        for function in &FUNCTIONS {
            let resource = &template["Resources"][format!("{}Function", function.id)];
            assert_eq!(resource["Metadata"]["Binary"], function.binary);
            let source = format!(
                "{}/src/bin/{}.rs",
                env!("CARGO_MANIFEST_DIR"),
                function.binary
            );
            assert!(std::path::Path::new(&source).exists(), "{source}");
        }
        // Of the functions a finding goes through; the scheduled report
        // runs on its own.
        let timeouts: Vec<u32> = FUNCTIONS
            .iter()
            .filter(|f| f.id != REPORT)
            .map(|f| f.timeout)
            .collect();
        let remediate = FUNCTIONS
            .iter()
            .find(|f| f.id == REMEDIATE)
            .unwrap()
            .timeout;
        assert_eq!(
            timeouts.iter().max(),
            Some(&remediate),
            "remediate takes longest"
        );
    }

    #[test]
    fn a_slow_model_ends_with_its_note_before_any_timeout_cuts_it_off() {
        let analyse = FUNCTIONS.iter().find(|f| f.id == ANALYSE).unwrap();
        let model = crate::settings::MAX_AI_TIMEOUT_SECONDS;
        assert!(
            model < u64::from(analyse.timeout),
            "the model's timeout is the function's first"
        );
        assert!(
            analyse.timeout < crate::asl::ANALYSE_TIMEOUT_SECONDS,
            "the function times out (and is caught) before the state"
        );
        assert!(soar_ai::AiConfig::default().timeout_seconds <= model);
    }

    #[test]
    fn remediation_roles_carry_the_registry_policy() {
        let registry = Registry::default();
        let expected = with_substitutions(&registry.iam_policy());
        let sam = sam_template_value(&registry);
        let policies = sam["Resources"]["RemediateRole"]["Properties"]["Policies"]
            .as_array()
            .unwrap();
        assert!(policies.iter().any(|p| p["PolicyDocument"] == expected));
        let stackset = stackset_template_value(&registry);
        let resources = stackset["Resources"].as_object().unwrap();
        assert_eq!(
            resources.len(),
            1,
            "the StackSet holds the role and nothing else"
        );
        let role = &resources["RemediationRole"]["Properties"];
        assert_eq!(role["Policies"][0]["PolicyDocument"], expected);
        // Every ARN with a variable is substituted; "*" stays as it is.
        let text = to_yaml(&expected);
        assert!(
            !text.contains("- \"arn:") && !text.contains("Resource: \"arn:"),
            "{text}"
        );
        assert!(text.contains("Resource: \"*\""));
    }

    #[test]
    fn state_machines_get_exactly_the_substitutions_their_definitions_use() {
        let template = sam_template_value(&Registry::default());
        for machine in &STATE_MACHINES {
            let properties =
                &template["Resources"][format!("{}StateMachine", machine.id)]["Properties"];
            assert_eq!(
                properties["Type"],
                if machine.express {
                    "EXPRESS"
                } else {
                    "STANDARD"
                }
            );
            let given: BTreeSet<String> = properties["DefinitionSubstitutions"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            // The definitions as generated, so that this checks the same
            // text `soar asl` commits.
            let definition = crate::asl::state_machines(&Registry::default())
                .into_iter()
                .find(|generated| generated.name == machine.name)
                .map(|generated| generated.definition.to_string())
                .unwrap_or_else(|| panic!("no generated state machine {}", machine.name));
            let used: BTreeSet<String> = definition
                .split("${")
                .skip(1)
                .filter_map(|piece| piece.split('}').next())
                .map(str::to_owned)
                .collect();
            // Both ways: a function the definition does not call is not
            // granted either.
            assert_eq!(
                used, given,
                "{}: the substitutions its definition uses, and the functions STATE_MACHINES gives it",
                machine.name
            );
        }
    }

    #[test]
    fn alarms_are_named_for_the_alarm_path() {
        let template = sam_template_value(&Registry::default());
        let mut alarms = 0;
        for (logical, resource) in template["Resources"].as_object().unwrap() {
            if resource["Type"] != "AWS::CloudWatch::Alarm" {
                continue;
            }
            alarms += 1;
            let name = resource["Properties"]["AlarmName"]["Fn::Sub"]
                .as_str()
                .unwrap();
            assert!(
                name.starts_with("INFRA-${AWS::StackName}-") && name.ends_with("-HIGH"),
                "{logical}: {name}"
            );
            assert_eq!(
                resource["Properties"]["AlarmActions"],
                json!([{"Ref": "AlarmTopic"}])
            );
        }
        assert_eq!(alarms, FUNCTIONS.len() + STATE_MACHINES.len());
    }

    #[test]
    fn control_parameters_take_only_registered_ids() {
        let ids = ["S3.1", "S3.10"];
        let pattern = control_list_pattern(&ids, true);
        assert_eq!(pattern, "^(\\*|(S3\\.1|S3\\.10)( *, *(S3\\.1|S3\\.10))*)?$");
        assert_eq!(
            control_list_pattern(&ids, false),
            "^((S3\\.1|S3\\.10)( *, *(S3\\.1|S3\\.10))*)?$"
        );
        let parameters = parameters(&Registry::default());
        assert!(parameters["DestructiveControls"]["Description"]
            .as_str()
            .unwrap()
            .contains("S3.10"));
        assert!(!parameters["DestructiveControls"]["AllowedPattern"]
            .as_str()
            .unwrap()
            .contains("S3\\.2|"));
    }
}

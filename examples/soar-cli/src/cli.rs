//! The command line, declared with clap's derive API: every subcommand's
//! `--help`, with an example, and the completions come from here.

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

use crate::{Args, Failure};

/// Decide, score, remediate and contain AWS security findings.
#[derive(Debug, Parser)]
#[command(
    name = "soar",
    version,
    after_help = "\
FILE is an EventBridge event (Security Hub imported or custom action, native
GuardDuty, CloudTrail, CloudWatch alarm, AWS Health) or a bare ASFF finding;
`-` reads it from standard input.

Exit codes: 0 when every finding was decided (a ticket or an escalation
included), 2 for invalid input (the message names the JSON path or the
configuration member), 1 for an internal error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the finding is, and where it is acted on.
#[derive(Debug, clap::Args)]
struct ActOn {
    /// The event or finding (`-`: standard input).
    #[arg(long, value_name = "FILE")]
    finding: PathBuf,
    /// The role assumed in member accounts (default: $SOAR_ROLE_NAME).
    #[arg(long, value_name = "NAME")]
    role_name: Option<String>,
    /// The external ID `AssumeRole` passes.
    #[arg(long, value_name = "ID")]
    external_id: Option<String>,
    /// Plan only: change nothing.
    #[arg(long)]
    dry_run: bool,
    /// The settings, as JSON.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// The pipeline configuration, for its `aws_retry` policy.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decide what each finding needs and print its Scratchpad.
    #[command(
        long_about = "Decide what each finding needs and print its Scratchpad, one per line.\n\n\
            --finding holds one event, a bare finding, a JSON array of either, or JSON \
            lines. A document that holds no finding soar can decide is reported on \
            standard error with its line (or index) and the JSON path, and the others are \
            still decided; the run ends with a summary on standard error (counts by \
            decision, findings per second), and exits 2 if a document was invalid. On a \
            terminal, standard error shows a progress bar.\n\n\
            Offline by default: accounts come from --config, and every write stays in \
            memory (--dry-run says so). --aws runs the pipeline of the soar-decide \
            Lambda on the real ports of the account the default credential chain gives, \
            configured by the same SOAR_* variables (--config replaces SOAR_CONFIG). \
            Incidents are classified with the incident settings of --settings.",
        after_help = "Examples:\n  soar process --finding examples/findings/s3-8-block-public-access-failed.json \\\n    --config examples/config.json --dry-run\n  soar process --finding examples/sample-batch.jsonl --config examples/config.json > decided.jsonl"
    )]
    Process {
        /// The events or findings: one, a JSON array, or JSON lines (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        finding: PathBuf,
        /// Offline, with every write in memory (the default; stated).
        #[arg(long, conflicts_with = "aws")]
        dry_run: bool,
        /// On AWS, as the soar-decide Lambda.
        #[arg(long)]
        aws: bool,
        /// The pipeline configuration (soar_core::Config), as JSON.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The incident settings (soar_incident::IncidentConfig), as JSON.
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
    },
    /// Print each finding's penalty and the event's triage priority.
    #[command(
        after_help = "Example:\n  soar score --finding examples/findings/guardduty-iam-access-key-custom-action.json \\\n    --config examples/config.json"
    )]
    Score {
        /// The event or finding (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        finding: PathBuf,
        /// The pipeline configuration, as JSON.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Fix each finding's control in the finding's own account and Region.
    #[command(
        long_about = "Fix each finding's control in the finding's own account and Region: with \
            the default credential chain in the caller's own account, through the role \
            --role-name in any other. With no way into an account the outcome is `ticket` \
            and nothing changes anywhere. One JSON report per finding, one per line. \
            --settings holds the remediation settings (soar_remediate::Settings). \
            AWS_ENDPOINT_URL points it at an emulator.",
        after_help = "Example:\n  soar remediate --finding examples/findings/s3-8-block-public-access-failed.json --dry-run"
    )]
    Remediate(ActOn),
    /// Classify each incident, map it to ATT&CK and run its containment playbook.
    #[command(
        long_about = "Classify each incident, map it to MITRE ATT&CK and run its containment \
            playbook in the finding's own account and Region, with the sessions of \
            remediate. --dry-run prints the playbook's plan; --settings holds the incident \
            settings (soar_incident::IncidentConfig). One JSON report per finding.",
        after_help = "Example:\n  soar incident --finding testdata/eventbridge/guardduty-finding-backdoor-ec2-cc-activity-dns.json --dry-run"
    )]
    Incident(ActOn),
    /// List the controls, their service, IAM actions and destructive flag.
    #[command(after_help = "Example:\n  soar controls --markdown")]
    Controls {
        /// As JSON.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// As the Markdown table of docs/controls.md.
        #[arg(long)]
        markdown: bool,
    },
    /// Print the least-privilege IAM policy of all controls, or some.
    #[command(after_help = "Example:\n  soar iam-policy --controls S3.8 EC2.2")]
    IamPolicy {
        /// The control IDs (none, or no `--controls`: all).
        #[arg(long, num_args = 0.., value_name = "ID")]
        controls: Vec<String>,
    },
    /// Write the Step Functions definitions generated from the registry.
    #[command(after_help = "Example:\n  soar asl --out examples/statemachines")]
    Asl {
        /// The directory; without it they are printed.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Write the SAM template and the member-account StackSet template.
    #[command(after_help = "Example:\n  soar template --out examples")]
    Template {
        /// The directory.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print what a finding costs on each path through the state machines.
    #[command(
        long_about = "Print what a finding costs on each path through the generated state \
            machines, at the public us-east-1 list prices: Step Functions and Lambda, with \
            the analysis step waiting 3 s for the model. --without-ai prices the analysis \
            step as it runs with AI turned off (or the offline model): it returns at once. \
            Bedrock's own per-token charge is not included (see docs/ai.md).",
        after_help = "Example:\n  soar cost --json"
    )]
    Cost {
        /// As JSON.
        #[arg(long)]
        json: bool,
        /// With AI turned off: the analysis step returns at once.
        #[arg(long)]
        without_ai: bool,
    },
    /// Tickets: list the overdue ones, or open one for a finding.
    #[command(subcommand)]
    Tickets(TicketsCommand),
    /// Print what soar-ai would send the model for each finding, and its analysis.
    #[command(
        long_about = "Decide each finding offline (accounts from --config, incidents classified \
            with --settings) and print, one JSON line per finding, the prompt exactly as it \
            would be sent to the model (anonymised: account IDs, ARNs, emails and hex IDs \
            masked) and the analysis, de-anonymised: {\"prompt\", \"system\", \"analysis\", \
            \"analysed\", \"kind\", \"model\", \"finding_id\"}. The prompt is the one the \
            finding's message needs (--kind chooses another). Without --offline, Bedrock is \
            called with the default credential chain, in the Region of --ai-config's \
            `region` or the chain's; a model that fails or times out gives the analysis's \
            note instead, as in the deployment.",
        after_help = "Examples:\n  soar ai --finding examples/findings/s3-8-block-public-access-failed.json \\\n    --config examples/config.json --offline\n  soar ai --finding f.json --ai-config ai.json --kind incident_infra"
    )]
    Ai {
        /// The event or finding (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        finding: PathBuf,
        /// Use the offline model: nothing leaves the machine.
        #[arg(long)]
        offline: bool,
        /// The pipeline configuration, as JSON.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The incident settings, as JSON.
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// The AI settings (soar_ai::AiConfig), as JSON.
        #[arg(long, value_name = "FILE")]
        ai_config: Option<PathBuf>,
        /// A folder of prompt templates (`<name>.txt`) replacing the built-in ones.
        #[arg(long, value_name = "DIR")]
        prompts: Option<PathBuf>,
        /// The prompt to use: autoremediation, ticket_opened, ticket_closed, incident_app, incident_infra.
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
    },
    /// Print the weekly security report of a file of records.
    #[command(
        long_about = "Print the weekly security report of the week that ends at --at (default \
            now) from a file of records: a JSON object with `tickets`, `incidents` and \
            `autoremediations`, as soar's record store keeps them. This week against last \
            week, the four-week severity breakdown, a section per account that had issues, \
            recommendations, and the model's overview and paragraphs (--offline: the \
            offline model's). Plain text, --html (as mailed), or --json.",
        after_help = "Example:\n  soar report --records examples/records.json --at 2026-12-07T00:00:00Z --offline"
    )]
    Report {
        /// The records, as JSON.
        #[arg(long, value_name = "FILE")]
        records: PathBuf,
        /// Use the offline model: nothing leaves the machine.
        #[arg(long)]
        offline: bool,
        /// The end of the week, RFC 3339 (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// The pipeline configuration, for the SLAs of its `tickets` section.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The AI settings (soar_ai::AiConfig), as JSON.
        #[arg(long, value_name = "FILE")]
        ai_config: Option<PathBuf>,
        /// A folder of prompt templates (`<name>.txt`) replacing the built-in ones.
        #[arg(long, value_name = "DIR")]
        prompts: Option<PathBuf>,
        /// As the HTML of the mail.
        #[arg(long, conflicts_with = "json")]
        html: bool,
        /// As JSON: the figures and the narrative.
        #[arg(long)]
        json: bool,
    },
    /// Print the completion script for a shell.
    #[command(after_help = "Example:\n  soar completions bash > /etc/bash_completion.d/soar")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum TicketsCommand {
    /// List the open tickets past their SLA, offline, from a file of records.
    #[command(
        long_about = "List the open tickets past their SLA, offline, from a file of ticket \
            records: a JSON array of them, or an object whose `tickets` member is one (as \
            soar's record store keeps them). The SLA of each severity and the escalated \
            severities come from --config's `tickets` (defaults: CRITICAL 4 h, HIGH 8 h, \
            MEDIUM 336 h, LOW 672 h). Prints one JSON document: the overdue tickets, most \
            overdue first, and their count by severity.",
        after_help = "Example:\n  soar tickets overdue --records examples/tickets.json --at 2026-12-06T12:00:00Z"
    )]
    Overdue {
        /// The ticket records, as JSON.
        #[arg(long, value_name = "FILE")]
        records: PathBuf,
        /// The pipeline configuration, for its `tickets` section.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The time to judge at, RFC 3339 (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Open the ticket of each finding in a real Jira or ServiceNow.
    #[command(
        long_about = "Open the TEAM FIX ticket of each finding in --finding in a real Jira Cloud \
            or ServiceNow instance, and print its ID as JSON, one line per finding. The \
            credentials come from SOAR_TICKET_USER and SOAR_TICKET_TOKEN (for Jira Cloud, \
            the account's e-mail and an API token; without a user, the token is a bearer \
            token). HTTP 429 and 5xx are retried with a cap; 401 and 403 fail at once, with \
            exit code 1. A finding that appears twice in one run gets one ticket.",
        after_help = "Example:\n  SOAR_TICKET_USER=me@example.com SOAR_TICKET_TOKEN=... soar tickets open \\\n    --finding examples/findings/s3-8-block-public-access-failed.json \\\n    --system jira --url https://example.atlassian.net --project SEC"
    )]
    Open {
        /// The events or findings: one, a JSON array, or JSON lines (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        finding: PathBuf,
        /// The ticket system.
        #[arg(long, value_parser = ["jira", "servicenow"])]
        system: String,
        /// The instance's URL.
        #[arg(long, value_name = "URL")]
        url: String,
        /// The project key or queue (default: routed by --config's `tickets`).
        #[arg(long, value_name = "KEY")]
        project: Option<String>,
        /// The pipeline configuration, for its `tickets` routing.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// What the command line asks for: the arguments of a command, or text
/// to print as it is (help, version, completions).
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A command to run.
    Run(Box<Args>),
    /// Text to print, with exit code 0.
    Print(String),
}

/// Parses the command line (`argv[0]` first).
///
/// # Errors
/// [`Failure::Usage`] with clap's message (usage included) for arguments
/// that do not parse.
pub(crate) fn parse(
    argv: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
) -> Result<Parsed, Failure> {
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(error) => {
            use clap::error::ErrorKind;
            return match error.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    Ok(Parsed::Print(error.render().to_string()))
                }
                _ => Err(Failure::Usage(error.render().to_string())),
            };
        }
    };
    let args = |command: &str| Args {
        command: command.to_owned(),
        ..Args::default()
    };
    let act_on = |command: &str, on: ActOn| Args {
        finding: Some(on.finding),
        role_name: on.role_name,
        external_id: on.external_id,
        dry_run: on.dry_run,
        settings: on.settings,
        config: on.config,
        ..args(command)
    };
    Ok(Parsed::Run(Box::new(match cli.command {
        Command::Process {
            finding,
            dry_run,
            aws,
            config,
            settings,
        } => Args {
            finding: Some(finding),
            dry_run,
            aws,
            config,
            settings,
            ..args("process")
        },
        Command::Score { finding, config } => Args {
            finding: Some(finding),
            config,
            ..args("score")
        },
        Command::Remediate(on) => act_on("remediate", on),
        Command::Incident(on) => act_on("incident", on),
        Command::Controls { json, markdown } => Args {
            json,
            markdown,
            ..args("controls")
        },
        Command::IamPolicy { controls } => Args {
            controls,
            ..args("iam-policy")
        },
        Command::Asl { out } => Args { out, ..args("asl") },
        Command::Template { out } => Args {
            out: Some(out),
            ..args("template")
        },
        Command::Cost { json, without_ai } => Args {
            json,
            without_ai,
            ..args("cost")
        },
        Command::Tickets(TicketsCommand::Overdue {
            records,
            config,
            at,
        }) => Args {
            records: Some(records),
            config,
            at,
            ..args("tickets overdue")
        },
        Command::Tickets(TicketsCommand::Open {
            finding,
            system,
            url,
            project,
            config,
        }) => Args {
            finding: Some(finding),
            system: Some(system),
            url: Some(url),
            project,
            config,
            ..args("tickets open")
        },
        Command::Ai {
            finding,
            offline,
            config,
            settings,
            ai_config,
            prompts,
            kind,
        } => Args {
            finding: Some(finding),
            offline,
            config,
            settings,
            ai_config,
            prompts,
            kind,
            ..args("ai")
        },
        Command::Report {
            records,
            offline,
            at,
            config,
            ai_config,
            prompts,
            html,
            json,
        } => Args {
            records: Some(records),
            offline,
            at,
            config,
            ai_config,
            prompts,
            html,
            json,
            ..args("report")
        },
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "soar", &mut script);
            return Ok(Parsed::Print(String::from_utf8_lossy(&script).into_owned()));
        }
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declaration_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_and_completions_print_and_bad_arguments_are_input_failures() {
        let Ok(Parsed::Print(help)) = parse(["soar", "incident", "--help"]) else {
            panic!("no help")
        };
        assert!(
            help.contains("--role-name") && help.contains("Example:"),
            "{help}"
        );
        let Ok(Parsed::Print(script)) = parse(["soar", "completions", "bash"]) else {
            panic!("no completions")
        };
        assert!(script.contains("remediate") && script.contains("--finding"));
        for bad in [
            vec!["soar", "process"],
            vec!["soar", "process", "--finding"],
            vec!["soar", "process", "--finding", "f.json", "--bogus"],
            vec![
                "soar",
                "process",
                "--finding",
                "f.json",
                "--dry-run",
                "--aws",
            ],
            vec!["soar", "frobnicate"],
        ] {
            assert!(
                matches!(parse(bad.clone()), Err(Failure::Usage(message)) if message.starts_with("error:")),
                "{bad:?}"
            );
        }
    }
}

//! ECR.1: scan images when they are pushed.
//!
//! Images are scanned either because the registry's scanning configuration
//! covers the repository or because the repository's own scan-on-push
//! setting is on. The plan reads both:
//!
//! - enhanced scanning (Amazon Inspector) with a rule whose filters match
//!   the repository, or basic scanning with a scan-on-push rule whose
//!   filters match it: the repository is scanned, whatever its own setting
//!   says, and nothing is written;
//! - enhanced scanning with no rule matching the repository: ECR ignores a
//!   repository's own scan-on-push setting under enhanced scanning, so the
//!   only fix is a registry rule, which a person must decide on (a
//!   [`RemediationError::CannotFix`], before any write);
//! - otherwise (basic scanning and no matching rule): the repository's own
//!   setting decides, and the fix turns it on.
//!
//! # Why the fix is the repository-level setting
//!
//! AWS recommends registry-level scanning rules, yet the fix is the
//! repository-level `PutImageScanningConfiguration`. The registry
//! configuration is account- and Region-wide: it decides the scanning of
//! every repository in the registry, other teams' too, and enhanced scanning
//! is billed through Amazon Inspector. Changing it to fix one finding would
//! change what other people see and pay for. The repository-level setting
//! changes only the repository the finding is about.

use async_trait::async_trait;
use aws_sdk_ecr::types::{
    ImageScanningConfiguration, RegistryScanningConfiguration, ScanFrequency, ScanType,
    ScanningRepositoryFilter, ScanningRepositoryFilterType,
};
use soar_asff::Finding;
use soar_core::error_class::ErrorClass;

use super::{describe, repository_name};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What ECR.1 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ECR.1"],
    title: "ECR private repositories have image scanning configured",
    service: Service::Ecr,
    resource_type: "AwsEcrRepository",
    iam_actions: &[
        "ecr:DescribeRepositories",
        "ecr:GetRegistryScanningConfiguration",
        "ecr:PutImageScanningConfiguration",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(ScanImagesOnPush)
}

/// Turns on the repository's own scan-on-push setting, unless the
/// registry's scanning rules already scan the repository, or the registry
/// uses enhanced scanning without a rule for it (then a person must decide).
///
/// The registry's scanning configuration is never changed: it is account-
/// and Region-wide, covering every repository (other teams' too), and
/// enhanced scanning is billed through Amazon Inspector, so changing it to
/// fix one finding would change what others see and pay for. The
/// repository-level setting changes only the repository the finding is
/// about. See the module documentation.
pub(crate) struct ScanImagesOnPush;

/// How the repository's images are scanned, as far as ECR.1 is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scanning {
    /// A rule of the registry's scanning configuration covers the
    /// repository: `scan_type` scanning, on `frequency`, by `filter`.
    ByRegistry {
        scan_type: String,
        frequency: String,
        filter: String,
    },
    /// Basic scanning, no rule covers the repository, and the repository's
    /// own scan-on-push setting is on.
    ByRepository,
    /// Basic scanning, no rule covers the repository, and its own setting
    /// is off: the repository-level setting fixes it.
    NotScanned,
    /// Enhanced scanning and no rule covers the repository: the
    /// repository-level setting would be ignored.
    NoEnhancedRule,
    /// A scan type this control does not know, whose effect on the
    /// repository-level setting it cannot tell.
    UnknownScanType(String),
}

impl Scanning {
    /// Whether images pushed to the repository are scanned: the control
    /// passes.
    fn is_scanned(&self) -> bool {
        matches!(self, Scanning::ByRegistry { .. } | Scanning::ByRepository)
    }
}

/// Whether an ECR scanning filter matches a repository name. A filter
/// without `*` matches every name containing it; with `*`, it must match the
/// whole name, each `*` standing for zero or more characters (`/` included).
fn filter_matches(filter: &str, name: &str) -> bool {
    if !filter.contains('*') {
        return name.contains(filter);
    }
    let parts: Vec<&str> = filter.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return false,
    };
    let Some(mut remaining) = name.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    // Each middle part matches at its first occurrence: taking the earliest
    // leaves the most room for the parts after it.
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last)
}

/// Whether `filter` is a wildcard filter that matches `name`. Filters of
/// another type are unknown to this control and never match.
fn matches(filter: &ScanningRepositoryFilter, name: &str) -> bool {
    filter.filter_type() == &ScanningRepositoryFilterType::Wildcard
        && filter_matches(filter.filter(), name)
}

/// The first rule with one of `frequencies` whose filters match `name`,
/// as (frequency, filter).
fn matching_rule(
    configuration: &RegistryScanningConfiguration,
    name: &str,
    frequencies: &[ScanFrequency],
) -> Option<(String, String)> {
    configuration
        .rules()
        .iter()
        .filter(|rule| frequencies.contains(rule.scan_frequency()))
        .find_map(|rule| {
            rule.repository_filters()
                .iter()
                .find(|filter| matches(filter, name))
                .map(|filter| {
                    (
                        rule.scan_frequency().as_str().to_owned(),
                        filter.filter().to_owned(),
                    )
                })
        })
}

/// The registry's scanning configuration; ECR's default (basic scanning,
/// no rules) when it returns none.
///
/// A failure here is about the registry, not the repository of the finding,
/// so it is never a not-found error: that would suppress the finding
/// although the repository may well exist.
async fn registry_scanning(
    ctx: &Context,
) -> Result<RegistryScanningConfiguration, RemediationError> {
    let output = ctx
        .ecr()
        .get_registry_scanning_configuration()
        .send()
        .await
        .map_err(
            |e| match RemediationError::aws("GetRegistryScanningConfiguration", &e) {
                RemediationError::Aws {
                    operation,
                    class: ErrorClass::NotFound,
                    message,
                } => RemediationError::Aws {
                    operation,
                    class: ErrorClass::Other,
                    message: format!("{message} (about the registry, not the repository)"),
                },
                other => other,
            },
        )?;
    Ok(output.scanning_configuration().cloned().unwrap_or_else(|| {
        RegistryScanningConfiguration::builder()
            .scan_type(ScanType::Basic)
            .build()
    }))
}

/// How the repository `name` is scanned. The repository is read first, so
/// that a repository that is gone is reported as such.
async fn scanning(ctx: &Context, name: &str) -> Result<Scanning, RemediationError> {
    let repository = describe(ctx, name).await?;
    let registry = registry_scanning(ctx).await?;
    let scan_type = registry.scan_type().cloned().unwrap_or(ScanType::Basic);
    // Enhanced scanning scans on push or continuously; basic scanning rules
    // other than scan-on-push leave the repository to manual scans.
    let frequencies: &[ScanFrequency] = match &scan_type {
        ScanType::Enhanced => &[ScanFrequency::ScanOnPush, ScanFrequency::ContinuousScan],
        ScanType::Basic => &[ScanFrequency::ScanOnPush],
        other => return Ok(Scanning::UnknownScanType(other.as_str().to_owned())),
    };
    if let Some((frequency, filter)) = matching_rule(&registry, name, frequencies) {
        return Ok(Scanning::ByRegistry {
            scan_type: scan_type.as_str().to_owned(),
            frequency,
            filter,
        });
    }
    if scan_type == ScanType::Enhanced {
        return Ok(Scanning::NoEnhancedRule);
    }
    let scans_on_push = repository
        .image_scanning_configuration()
        .is_some_and(|c| c.scan_on_push());
    Ok(if scans_on_push {
        Scanning::ByRepository
    } else {
        Scanning::NotScanned
    })
}

#[async_trait]
impl Remediation for ScanImagesOnPush {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let name = repository_name(finding, &META)?;
        match scanning(ctx, &name).await? {
            Scanning::ByRegistry {
                scan_type,
                frequency,
                filter,
            } => {
                tracing::debug!(
                    repository = %name, %scan_type, %frequency, %filter,
                    "a registry scanning rule covers the repository"
                );
                Ok(Plan::compliant(control, name))
            }
            Scanning::ByRepository => Ok(Plan::compliant(control, name)),
            Scanning::NoEnhancedRule => Err(RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!(
                    "the registry uses enhanced scanning and none of its rules matches repository {name}; ECR ignores a repository's own scan-on-push setting under enhanced scanning, so only a registry rule would scan it, and the registry's rules cover every repository in the account and Region and are billed through Amazon Inspector: its owners must decide"
                ),
            }),
            Scanning::UnknownScanType(scan_type) => Err(RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!(
                    "the registry uses scan type {scan_type}, and whether it honours repository {name}'s own scan-on-push setting is unknown"
                ),
            }),
            Scanning::NotScanned => {
                let change = Plan::change(
                    "ecr:PutImageScanningConfiguration",
                    format!(
                        "turn on scan-on-push in the scanning configuration of repository {name} (the registry's basic scanning has no scan-on-push rule for it)"
                    ),
                );
                Ok(Plan::changes(
                    control,
                    name,
                    vec![change],
                    serde_json::Value::Null,
                ))
            }
        }
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.ecr()
            .put_image_scanning_configuration()
            .registry_id(ctx.account_id())
            .repository_name(&plan.resource)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| RemediationError::aws("PutImageScanningConfiguration", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on scan-on-push for repository {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let name = repository_name(finding, &META)?;
        Ok(scanning(ctx, &name).await?.is_scanned())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecr::operation::describe_repositories::{
        DescribeRepositoriesError, DescribeRepositoriesOutput,
    };
    use aws_sdk_ecr::operation::get_registry_scanning_configuration::{
        GetRegistryScanningConfigurationError, GetRegistryScanningConfigurationOutput,
    };
    use aws_sdk_ecr::operation::put_image_scanning_configuration::{
        PutImageScanningConfigurationError, PutImageScanningConfigurationInput,
        PutImageScanningConfigurationOutput,
    };
    use aws_sdk_ecr::types::{RegistryScanningRule, Repository};
    use aws_sdk_ecr::Client;

    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode, TEST_ACCOUNT,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for(
            "ECR.1",
            "AwsEcrRepository",
            "arn:aws:ecr:us-east-1:111111111111:repository/team/app",
        )
    }

    fn repo(scan: bool) -> DescribeRepositoriesOutput {
        DescribeRepositoriesOutput::builder()
            .repositories(
                Repository::builder()
                    .repository_name("team/app")
                    .image_scanning_configuration(
                        ImageScanningConfiguration::builder()
                            .scan_on_push(scan)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    /// DescribeRepositories of team/app in the test account: `before` for
    /// the plan, then `after` for every verify read.
    fn described(before: bool, after: bool) -> Rule {
        mock!(Client::describe_repositories)
            .match_requests(|r| {
                r.registry_id() == Some(TEST_ACCOUNT) && r.repository_names() == ["team/app"]
            })
            .sequence()
            .output(move || repo(before))
            .output(move || repo(after))
            .repeatedly()
            .build()
    }

    /// The registry's scanning configuration: `scan_type` scanning with one
    /// rule per (frequency, wildcard filter).
    fn registry(scan_type: ScanType, rules: &[(ScanFrequency, &str)]) -> Rule {
        let mut configuration = RegistryScanningConfiguration::builder().scan_type(scan_type);
        for (frequency, filter) in rules {
            let rule = RegistryScanningRule::builder()
                .scan_frequency(frequency.clone())
                .repository_filters(
                    ScanningRepositoryFilter::builder()
                        .filter(*filter)
                        .filter_type(ScanningRepositoryFilterType::Wildcard)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap();
            configuration = configuration.rules(rule);
        }
        let output = GetRegistryScanningConfigurationOutput::builder()
            .registry_id(TEST_ACCOUNT)
            .scanning_configuration(configuration.build())
            .build();
        mock!(Client::get_registry_scanning_configuration).then_output(move || output.clone())
    }

    /// ECR's default: basic scanning, no rules.
    fn basic_without_rules() -> Rule {
        registry(ScanType::Basic, &[])
    }

    /// The one write ECR.1 makes: scan-on-push on team/app.
    fn scan_on_push(r: &PutImageScanningConfigurationInput) -> bool {
        r.registry_id() == Some(TEST_ACCOUNT)
            && r.repository_name() == Some("team/app")
            && r.image_scanning_configuration()
                .is_some_and(|c| c.scan_on_push())
    }

    fn put() -> Rule {
        mock!(Client::put_image_scanning_configuration)
            .match_requests(scan_on_push)
            .then_output(|| PutImageScanningConfigurationOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> crate::Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&ScanImagesOnPush, &ctx, &finding(), Mode::Apply).await
    }

    #[test]
    fn wildcard_filters_match_like_ecr() {
        // The table of the ECR User Guide, "Filter wildcards", plus names
        // with a namespace.
        let names = [
            "prod",
            "repo-prod",
            "prod-repo",
            "repo-prod-repo",
            "prodrepo",
        ];
        let table = [
            ("prod", [true, true, true, true, true]),
            ("*prod", [true, true, false, false, false]),
            ("prod*", [true, false, true, false, true]),
            ("*prod*", [true, true, true, true, true]),
            ("prod*repo", [false, false, true, false, true]),
        ];
        for (filter, expected) in table {
            for (name, expected) in names.iter().zip(expected) {
                assert_eq!(filter_matches(filter, name), expected, "{filter} on {name}");
            }
        }
        assert!(filter_matches("*", "team/app"));
        assert!(filter_matches("team/*", "team/app"));
        assert!(filter_matches("t*m/*p", "team/app"));
        assert!(filter_matches("*a*a*", "banana"));
        assert!(!filter_matches("team/*", "other/app"));
        assert!(!filter_matches("*/prod", "team/app"));
        assert!(!filter_matches("a*a", "a"));
    }

    #[tokio::test]
    async fn turns_on_scan_on_push_of_the_repository() {
        let (d, r, p) = (described(false, true), basic_without_rules(), put());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &r, &p]);
        let report = remediate(&ScanImagesOnPush, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(p.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_repository_that_scans_on_push_gets_no_write() {
        let (d, r, p) = (described(true, true), basic_without_rules(), put());
        let report = run(&[&d, &r, &p]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(p.num_calls(), 0);
    }

    #[tokio::test]
    async fn an_enhanced_scanning_rule_that_matches_is_compliant_with_no_write() {
        let cases = [
            (ScanFrequency::ContinuousScan, "*"),
            (ScanFrequency::ScanOnPush, "team/*"),
            (ScanFrequency::ContinuousScan, "app"),
        ];
        for (frequency, filter) in cases {
            // The repository's own setting is off: the registry rule is
            // what scans it.
            let (d, p) = (described(false, false), put());
            let r = registry(
                ScanType::Enhanced,
                &[(ScanFrequency::ScanOnPush, "other/*"), (frequency, filter)],
            );
            let report = run(&[&d, &r, &p]).await;
            assert_eq!(report.outcome, Outcome::AlreadyCompliant, "{filter}");
            assert_eq!(p.num_calls(), 0);
        }
    }

    #[tokio::test]
    async fn a_basic_scan_on_push_rule_that_matches_is_compliant_with_no_write() {
        let (d, p) = (described(false, false), put());
        let r = registry(ScanType::Basic, &[(ScanFrequency::ScanOnPush, "*app")]);
        let report = run(&[&d, &r, &p]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(p.num_calls(), 0);
    }

    #[tokio::test]
    async fn basic_rules_that_do_not_scan_the_repository_on_push_leave_the_repository_fix() {
        // A rule for other repositories, and a manual-scan rule for this one.
        let r = registry(
            ScanType::Basic,
            &[
                (ScanFrequency::ScanOnPush, "other/*"),
                (ScanFrequency::Manual, "*"),
            ],
        );
        let (d, p) = (described(false, true), put());
        let report = run(&[&d, &r, &p]).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(p.num_calls(), 1);
    }

    #[tokio::test]
    async fn enhanced_scanning_without_a_matching_rule_is_a_ticket_with_no_write() {
        // Even with the repository's own setting on: enhanced scanning
        // ignores it.
        for own_setting in [false, true] {
            let (d, p) = (described(own_setting, own_setting), put());
            let r = registry(
                ScanType::Enhanced,
                &[(ScanFrequency::ContinuousScan, "prod/*")],
            );
            let report = run(&[&d, &r, &p]).await;
            assert!(
                matches!(&report.outcome, Outcome::Ticket { reason }
                    if reason.contains("enhanced scanning and none of its rules matches repository team/app")
                        && reason.contains("its owners must decide")),
                "{report:?}"
            );
            assert_eq!(p.num_calls(), 0);
        }
    }

    #[tokio::test]
    async fn a_deleted_repository_is_suppressed() {
        let gone = mock!(Client::describe_repositories).then_error(|| {
            DescribeRepositoriesError::generic(aws_error("RepositoryNotFoundException", "gone"))
        });
        let report = run(&[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("RepositoryNotFoundException")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_registry_read_that_finds_nothing_does_not_suppress_the_finding() {
        let d = described(false, false);
        let missing = mock!(Client::get_registry_scanning_configuration).then_error(|| {
            GetRegistryScanningConfigurationError::generic(aws_error(
                "ResourceNotFoundException",
                "no configuration",
            ))
        });
        let report = run(&[&d, &missing]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("GetRegistryScanningConfiguration failed (other)")
                    && reason.contains("about the registry, not the repository")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_registry_read_is_a_ticket() {
        let (d, p) = (described(false, false), put());
        let denied = mock!(Client::get_registry_scanning_configuration).then_error(|| {
            GetRegistryScanningConfigurationError::generic(aws_error("AccessDeniedException", "no"))
        });
        let report = run(&[&d, &denied, &p]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("GetRegistryScanningConfiguration failed (access denied)")),
            "{report:?}"
        );
        assert_eq!(p.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let (d, r) = (described(false, false), basic_without_rules());
        let denied = mock!(Client::put_image_scanning_configuration).then_error(|| {
            PutImageScanningConfigurationError::generic(aws_error("AccessDeniedException", "no"))
        });
        let report = run(&[&d, &r, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutImageScanningConfiguration failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let (d, r) = (described(false, true), basic_without_rules());
        let throttled = mock!(Client::put_image_scanning_configuration)
            .match_requests(scan_on_push)
            .sequence()
            .error(|| {
                PutImageScanningConfigurationError::generic(aws_error(
                    "ThrottlingException",
                    "slow",
                ))
            })
            .output(|| PutImageScanningConfigurationOutput::builder().build())
            .build();
        let report = run(&[&d, &r, &throttled]).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(throttled.num_calls(), 2);
    }
}

//! IAM.7, IAM.10 and IAM.11 to IAM.17: bring the account password policy
//! up to the configured baseline.
//!
//! One remediation serves every password-policy control: whichever of them
//! a finding names, the account gets
//! [`Settings::iam_password_policy`](crate::Settings::iam_password_policy),
//! and never a weaker setting than it has. Each setting is the stricter of
//! the current one and the baseline's ([`PasswordPolicy::strictest`]), so
//! an account that already asks for 20 characters keeps 20.

use async_trait::async_trait;
use aws_sdk_iam::types::PasswordPolicy as IamPasswordPolicy;
use serde_json::json;
use soar_asff::Finding;

use crate::controls::control_id;
use crate::{
    Context, ControlMeta, Outcome, PasswordPolicy, Plan, Remediation, RemediationError, Service,
};

/// What the password-policy controls are and the IAM actions they need.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &[
        "IAM.7", "IAM.10", "IAM.11", "IAM.12", "IAM.13", "IAM.14", "IAM.15", "IAM.16", "IAM.17",
    ],
    title: "The account password policy is strong (length, character classes, reuse, expiry)",
    service: Service::Iam,
    resource_type: "AwsAccount",
    iam_actions: &[
        "iam:GetAccountPasswordPolicy",
        "iam:UpdateAccountPasswordPolicy",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(StrengthenPasswordPolicy)
}

/// Sets the account password policy to the strictest of the current one
/// and the baseline.
pub(crate) struct StrengthenPasswordPolicy;

/// The account's password policy; `None` when it has none (IAM's defaults:
/// 8 characters, nothing else).
async fn current(ctx: &Context) -> Result<Option<PasswordPolicy>, RemediationError> {
    let output = match ctx.iam().get_account_password_policy().send().await {
        Ok(output) => output,
        Err(e) if crate::error::code_of(&e) == Some("NoSuchEntity") => return Ok(None),
        Err(e) => return Err(RemediationError::aws("GetAccountPasswordPolicy", &e)),
    };
    Ok(output.password_policy().map(from_iam))
}

fn from_iam(p: &IamPasswordPolicy) -> PasswordPolicy {
    PasswordPolicy {
        minimum_length: p.minimum_password_length().unwrap_or(0),
        require_uppercase: p.require_uppercase_characters(),
        require_lowercase: p.require_lowercase_characters(),
        require_symbols: p.require_symbols(),
        require_numbers: p.require_numbers(),
        reuse_prevention: p.password_reuse_prevention().unwrap_or(0),
        max_age_days: if p.expire_passwords() {
            p.max_password_age().unwrap_or(0)
        } else {
            0
        },
        allow_users_to_change: p.allow_users_to_change_password(),
        hard_expiry: p.hard_expiry().unwrap_or(false),
    }
}

/// What differs between `from` and `to`, in words.
fn differences(from: Option<&PasswordPolicy>, to: &PasswordPolicy) -> Vec<String> {
    let none = PasswordPolicy {
        minimum_length: 8,
        require_uppercase: false,
        require_lowercase: false,
        require_symbols: false,
        require_numbers: false,
        reuse_prevention: 0,
        max_age_days: 0,
        allow_users_to_change: false,
        hard_expiry: false,
    };
    let from = from.unwrap_or(&none);
    let mut changes = Vec::new();
    let mut number = |what: &str, a: i32, b: i32| {
        if a != b {
            changes.push(format!("{what} {a} -> {b}"));
        }
    };
    number("minimum length", from.minimum_length, to.minimum_length);
    number("passwords remembered", from.reuse_prevention, to.reuse_prevention);
    number("maximum age in days (0: none)", from.max_age_days, to.max_age_days);
    let flags = [
        ("an uppercase letter", from.require_uppercase, to.require_uppercase),
        ("a lowercase letter", from.require_lowercase, to.require_lowercase),
        ("a symbol", from.require_symbols, to.require_symbols),
        ("a number", from.require_numbers, to.require_numbers),
    ];
    for (what, a, b) in flags {
        if a != b {
            changes.push(format!("require {what}"));
        }
    }
    if from.allow_users_to_change != to.allow_users_to_change {
        changes.push("let users change their own password".to_owned());
    }
    if from.hard_expiry != to.hard_expiry {
        changes.push("expired passwords need an administrator".to_owned());
    }
    changes
}

#[async_trait]
impl Remediation for StrengthenPasswordPolicy {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let account = ctx.account_id().to_owned();
        let now = current(ctx).await?;
        let baseline = ctx.settings.iam_password_policy;
        let target = now.map_or(baseline, |now| now.strictest(baseline));
        if now == Some(target) {
            return Ok(Plan::compliant(control, account));
        }
        let change = Plan::change(
            "iam:UpdateAccountPasswordPolicy",
            format!(
                "set the password policy of account {account}: {}",
                differences(now.as_ref(), &target).join(", ")
            ),
        );
        let data = serde_json::to_value(target).map_err(|e| RemediationError::InvalidPlan {
            control_id: control.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Plan::changes(control, account, vec![change], json!({ "policy": data })))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let target: PasswordPolicy = plan.data_as("policy")?;
        let expires = target.max_age_days > 0;
        ctx.iam()
            .update_account_password_policy()
            .minimum_password_length(target.minimum_length)
            .require_uppercase_characters(target.require_uppercase)
            .require_lowercase_characters(target.require_lowercase)
            .require_symbols(target.require_symbols)
            .require_numbers(target.require_numbers)
            .password_reuse_prevention(target.reuse_prevention)
            .set_max_password_age(expires.then_some(target.max_age_days))
            .allow_users_to_change_password(target.allow_users_to_change)
            .hard_expiry(target.hard_expiry)
            .send()
            .await
            .map_err(|e| RemediationError::aws("UpdateAccountPasswordPolicy", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Set the password policy of account {}: at least {} characters, {} remembered, {}.",
                plan.resource,
                target.minimum_length,
                target.reuse_prevention,
                if expires {
                    format!("expiring after {} days", target.max_age_days)
                } else {
                    "no expiry".to_owned()
                }
            )],
        })
    }

    async fn verify(&self, ctx: &Context, _finding: &Finding) -> Result<bool, RemediationError> {
        let baseline = ctx.settings.iam_password_policy;
        Ok(current(ctx)
            .await?
            .is_some_and(|now| now.strictest(baseline) == now))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::operation::get_account_password_policy::{
        GetAccountPasswordPolicyError, GetAccountPasswordPolicyOutput,
    };
    use aws_sdk_iam::operation::update_account_password_policy::{
        UpdateAccountPasswordPolicyError, UpdateAccountPasswordPolicyInput,
        UpdateAccountPasswordPolicyOutput,
    };
    use aws_sdk_iam::Client;
    use proptest::prelude::*;

    use super::*;
    use crate::testkit::aws_smithy_mocks::MockResponse;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    fn finding(control: &str) -> Finding {
        finding_for(control, "AwsAccount", "AWS::::Account:111111111111")
    }

    fn to_iam(p: &PasswordPolicy) -> IamPasswordPolicy {
        IamPasswordPolicy::builder()
            .minimum_password_length(p.minimum_length)
            .require_uppercase_characters(p.require_uppercase)
            .require_lowercase_characters(p.require_lowercase)
            .require_symbols(p.require_symbols)
            .require_numbers(p.require_numbers)
            .password_reuse_prevention(p.reuse_prevention)
            .expire_passwords(p.max_age_days > 0)
            .set_max_password_age((p.max_age_days > 0).then_some(p.max_age_days))
            .allow_users_to_change_password(p.allow_users_to_change)
            .hard_expiry(p.hard_expiry)
            .build()
    }

    /// The account's policy: `before` for the plan, `after` from then on
    /// (`None`: no policy, `NoSuchEntity`).
    fn described(before: Option<PasswordPolicy>, after: Option<PasswordPolicy>) -> Rule {
        let answer = |p: Option<PasswordPolicy>| match p {
            Some(p) => MockResponse::Output(
                GetAccountPasswordPolicyOutput::builder()
                    .password_policy(to_iam(&p))
                    .build(),
            ),
            None => MockResponse::Error(GetAccountPasswordPolicyError::generic(aws_error(
                "NoSuchEntity",
                "The Password Policy with domain name 111111111111 cannot be found.",
            ))),
        };
        let calls = std::sync::atomic::AtomicUsize::new(0);
        mock!(Client::get_account_password_policy).then_compute_response(move |_| {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            answer(if n == 0 { before } else { after })
        })
    }

    fn writing(expected: PasswordPolicy) -> impl Fn(&UpdateAccountPasswordPolicyInput) -> bool {
        move |r| {
            r.minimum_password_length() == Some(expected.minimum_length)
                && r.require_uppercase_characters() == Some(expected.require_uppercase)
                && r.require_lowercase_characters() == Some(expected.require_lowercase)
                && r.require_symbols() == Some(expected.require_symbols)
                && r.require_numbers() == Some(expected.require_numbers)
                && r.password_reuse_prevention() == Some(expected.reuse_prevention)
                && r.max_password_age()
                    == (expected.max_age_days > 0).then_some(expected.max_age_days)
                && r.allow_users_to_change_password() == Some(expected.allow_users_to_change)
                && r.hard_expiry() == Some(expected.hard_expiry)
        }
    }

    fn update(expected: PasswordPolicy) -> Rule {
        mock!(Client::update_account_password_policy)
            .match_requests(writing(expected))
            .then_output(|| UpdateAccountPasswordPolicyOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&StrengthenPasswordPolicy, &ctx, &finding("IAM.15"), Mode::Apply).await
    }

    const BASELINE: PasswordPolicy = PasswordPolicy {
        minimum_length: 14,
        require_uppercase: true,
        require_lowercase: true,
        require_symbols: true,
        require_numbers: true,
        reuse_prevention: 24,
        max_age_days: 90,
        allow_users_to_change: true,
        hard_expiry: false,
    };

    #[tokio::test]
    async fn an_account_without_a_policy_gets_the_baseline() {
        assert_eq!(PasswordPolicy::default(), BASELINE);
        let (d, u) = (described(None, Some(BASELINE)), update(BASELINE));
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &u]);
        for control in META.ids {
            let report = remediate(&StrengthenPasswordPolicy, &ctx, &finding(control), Mode::Apply).await;
            // The first finding fixes the account; the others find it done.
            let expected = if *control == "IAM.7" {
                matches!(report.outcome, Outcome::Remediated { .. })
            } else {
                report.outcome == Outcome::AlreadyCompliant
            };
            assert!(expected, "{control}: {report:?}");
        }
        assert_eq!(u.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn a_stricter_setting_already_in_place_is_kept() {
        let stricter = PasswordPolicy {
            minimum_length: 20,
            max_age_days: 30,
            hard_expiry: true,
            require_symbols: false,
            ..BASELINE
        };
        let expected = PasswordPolicy { require_symbols: true, ..stricter };
        let (d, u) = (described(Some(stricter), Some(expected)), update(expected));
        let report = run(&[&d, &u]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(u.num_calls(), 1);
        assert_eq!(report.changes[0].description, "set the password policy of account 111111111111: require a symbol");
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_policy_at_or_above_the_baseline_gets_no_write() {
        let above = PasswordPolicy { minimum_length: 16, ..BASELINE };
        let (d, u) = (described(Some(above), Some(above)), update(above));
        assert_eq!(run(&[&d, &u]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(u.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_and_a_throttled_one_is_retried() {
        let d = described(None, None);
        let denied = mock!(Client::update_account_password_policy).then_error(|| {
            UpdateAccountPasswordPolicyError::generic(aws_error("AccessDenied", "no"))
        });
        let report = run(&[&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("UpdateAccountPasswordPolicy failed (access denied)")),
            "{report:?}"
        );
        let d = described(None, Some(BASELINE));
        let throttled = mock!(Client::update_account_password_policy)
            .match_requests(writing(BASELINE))
            .sequence()
            .error(|| UpdateAccountPasswordPolicyError::generic(aws_error("Throttling", "slow")))
            .output(|| UpdateAccountPasswordPolicyOutput::builder().build())
            .build();
        let report = run(&[&d, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }

    fn policy() -> impl Strategy<Value = PasswordPolicy> {
        (
            (6..=128i32, any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
            (0..=24i32, 0..=1095i32, any::<bool>(), any::<bool>()),
        )
            .prop_map(|((len, up, low, sym, num), (reuse, age, change, hard))| PasswordPolicy {
                minimum_length: len,
                require_uppercase: up,
                require_lowercase: low,
                require_symbols: sym,
                require_numbers: num,
                reuse_prevention: reuse,
                max_age_days: age,
                allow_users_to_change: change,
                hard_expiry: hard,
            })
    }

    /// Whether `a` is at least as strict as `b` in every setting.
    fn at_least(a: &PasswordPolicy, b: &PasswordPolicy) -> bool {
        let age = |d: i32| if d > 0 { d } else { i32::MAX };
        a.minimum_length >= b.minimum_length
            && a.reuse_prevention >= b.reuse_prevention
            && age(a.max_age_days) <= age(b.max_age_days)
            && (a.require_uppercase || !b.require_uppercase)
            && (a.require_lowercase || !b.require_lowercase)
            && (a.require_symbols || !b.require_symbols)
            && (a.require_numbers || !b.require_numbers)
            && (a.allow_users_to_change || !b.allow_users_to_change)
            && (a.hard_expiry || !b.hard_expiry)
    }

    proptest! {
        /// The setting-by-setting maximum: never weaker than either side,
        /// the same whichever side it is asked from, and a fixed point.
        #[test]
        fn strictest_is_the_settingwise_maximum(a in policy(), b in policy()) {
            let s = a.strictest(b);
            prop_assert!(at_least(&s, &a) && at_least(&s, &b));
            prop_assert_eq!(s, b.strictest(a));
            prop_assert_eq!(s.strictest(a), s);
            // And no stricter than needed: each setting is one of the two.
            prop_assert!(s.minimum_length == a.minimum_length || s.minimum_length == b.minimum_length);
            prop_assert!(s.max_age_days == a.max_age_days || s.max_age_days == b.max_age_days);
        }
    }
}

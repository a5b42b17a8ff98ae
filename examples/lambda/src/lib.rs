//! The reference deployment of soar: one Lambda binary per function that
//! needs its own retry or its own IAM role, the Step Functions definitions
//! generated from the registry, and the SAM template.
//!
//! `main` of each binary only wires: it reads the environment once
//! ([`settings`]), builds the clients once ([`deployment`]) and runs a
//! handler from [`handlers`], a plain async function that tests call
//! directly.
//!
//! | Binary | Takes | Does |
//! | --- | --- | --- |
//! | `soar-decide` | a finding (or an event with one) | account data, control enablement, suppression rules, penalty, remediable check: the decided Scratchpad |
//! | `soar-remediate` | a Scratchpad | the finding's control, in the finding's own account and Region |
//! | `soar-analyse` | a Scratchpad | the AI analysis of its message (`messages.ai`), never waiting on the model past its timeout |
//! | `soar-update` | a Scratchpad | the ticket (opened once), the team's mail, the autoremediation record, the Security Hub workflow update |
//! | `soar-sweep` | `{"next_token"?}` | one page of the open findings, for the backlog sweep |
//! | `soar-report` | `{"job": "weekly_report" \| "overdue_reminders"}` | the scheduled jobs ([`jobs`]): the weekly report, the overdue reminders |

pub mod asl;
pub mod cost;
pub mod deployment;
pub mod handlers;
pub mod jobs;
pub mod settings;
pub mod template;

//! `soar-report`: the scheduled jobs, the weekly report and the overdue
//! reminders.

use lambda_runtime::{service_fn, LambdaEvent};
use soar_core::Timestamp;
use soar_lambda::deployment::{init_logs, Deployment};
use soar_lambda::jobs::{run, JobPorts, JobRequest};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logs();
    let deployment = Deployment::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<JobRequest>| {
        let ports = JobPorts {
            records: &deployment.records,
            accounts: deployment.accounts.as_ref(),
            analyst: &deployment.analyst,
            notifier: deployment.notifier.as_deref(),
            report_recipients: &deployment.settings.report_recipients,
            ticketing: &deployment.settings.config.tickets,
            now: Timestamp::now(),
        };
        run(event.payload, ports)
    }))
    .await
}

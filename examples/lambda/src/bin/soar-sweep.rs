//! `soar-sweep`: one page of the open findings, for the backlog sweep.

use lambda_runtime::{service_fn, LambdaEvent};
use soar_lambda::deployment::{init_logs, Deployment};
use soar_lambda::handlers::{sweep, SweepRequest};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logs();
    let deployment = Deployment::from_env().await?;
    let client = aws_sdk_securityhub::Client::new(&deployment.sdk);
    let page_size = deployment.settings.sweep_page_size;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SweepRequest>| {
        sweep(event.payload, &client, page_size)
    }))
    .await
}

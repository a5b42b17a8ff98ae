//! `soar-decide`: the decided Scratchpad of one finding.

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;
use soar_lambda::deployment::{init_logs, Deployment};
use soar_lambda::handlers::decide;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logs();
    let deployment = Deployment::from_env().await?;
    let pipeline = deployment.pipeline();
    // The payload as it came: `decide` reads it without building a
    // `serde_json::Value` first.
    let (pipeline, incidents) = (&pipeline, &deployment.settings.incident);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| async move {
        decide(&event.payload, pipeline, incidents).await
    }))
    .await
}

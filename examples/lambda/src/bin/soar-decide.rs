//! `soar-decide`: the decided Scratchpad of one finding.

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use soar_lambda::deployment::{init_logs, Deployment};
use soar_lambda::handlers::decide;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logs();
    let deployment = Deployment::from_env().await?;
    let pipeline = deployment.pipeline();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        decide(event.payload, &pipeline, &deployment.settings.incident)
    }))
    .await
}

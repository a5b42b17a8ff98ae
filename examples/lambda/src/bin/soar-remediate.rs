//! `soar-remediate`: the finding's control, in its own account and Region.

use lambda_runtime::{service_fn, LambdaEvent};
use soar_core::Scratchpad;
use soar_lambda::deployment::{init_logs, Deployment};
use soar_lambda::handlers::remediate;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logs();
    let deployment = Deployment::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Scratchpad>| async {
        Ok::<_, lambda_runtime::Error>(
            remediate(event.payload, &deployment.registry, &deployment.contexts).await,
        )
    }))
    .await
}

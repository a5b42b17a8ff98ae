//! `soar-remediate`: the finding's control, or an incident's containment,
//! in the finding's own account and Region.

use lambda_runtime::{service_fn, LambdaEvent};
use soar_core::Scratchpad;
use soar_lambda::deployment::{init_logs, Deployment};
use soar_lambda::handlers::act;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logs();
    let deployment = Deployment::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Scratchpad>| async {
        Ok::<_, lambda_runtime::Error>(
            act(
                event.payload,
                &deployment.registry,
                &deployment.contexts,
                &deployment.settings.incident,
            )
            .await,
        )
    }))
    .await
}

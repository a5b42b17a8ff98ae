//! `soar-analyse`: the AI analysis of a finding's message, before
//! `soar-update` writes the ticket and the mail.

use lambda_runtime::{service_fn, LambdaEvent};
use soar_core::Scratchpad;
use soar_lambda::deployment::{init_logs, Deployment};
use soar_lambda::handlers::analyse;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logs();
    let deployment = Deployment::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Scratchpad>| async {
        Ok::<_, lambda_runtime::Error>(analyse(event.payload, &deployment.analyst).await)
    }))
    .await
}

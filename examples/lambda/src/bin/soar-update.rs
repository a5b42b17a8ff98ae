//! `soar-update`: the ticket, the records and the Security Hub workflow update.

use lambda_runtime::{service_fn, LambdaEvent};
use soar_core::{Scratchpad, Timestamp};
use soar_lambda::deployment::{init_logs, Deployment};
use soar_lambda::handlers::update;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logs();
    let deployment = Deployment::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Scratchpad>| {
        update(event.payload, deployment.update_ports(Timestamp::now()))
    }))
    .await
}

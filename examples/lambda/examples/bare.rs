//! `bare`: the cold-start baseline. The smallest Lambda handler on the same
//! `lambda_runtime`, Tokio runtime flavour and release profile as the soar
//! binaries: no logs, no settings, no SDK configuration, no clients. It
//! returns its input unchanged.
//!
//! `scripts/coldstart.py` runs it next to `soar-decide` in the same sitting,
//! so that what `soar-decide` costs on top of it (the SDK configuration, the
//! clients, the pipeline and the finding's decision) is measured on the same
//! machine at the same moment:
//!
//! ```text
//! cargo build --release -p soar-lambda --bin soar-decide --example bare
//! python3 scripts/coldstart.py --runs 20
//! ```

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, lambda_runtime::Error>(event.payload)
    }))
    .await
}

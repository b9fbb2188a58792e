//! Logging with a subscriber of your own: `tracing` events, with the fields of their spans,
//! and `log` records become Sacred's log lines on the terminal and in the run's captured
//! output, while the program keeps its own log file, `train.log` in `tracing_subscriber`'s
//! format, which the run stores as an artifact at its end.
//!
//! ```text
//! cargo run --example logging
//! cargo run --example logging -- -l WARNING
//! RUST_LOG=logging::data=debug cargo run --example logging -- with epochs=3
//! ```

use sacred::prelude::*;
use tracing_subscriber::prelude::*;

/// Trains for a few epochs, logging through `tracing` and `log`.
#[experiment(name = "logging")]
fn train(
    /// how many epochs
    #[default(2)]
    epochs: u32,
    run: &Run,
) -> Result<f64, sacred::Error> {
    let mut loss = 1.0;
    for n in 0..epochs {
        let _epoch = tracing::info_span!("epoch", n).entered();
        let rows = data::load(n);
        loss /= 2.0;
        run.log_scalar("training.loss", loss);
        tracing::info!(rows, loss, "epoch done");
    }
    tracing::warn!("done: loss {loss}");
    run.add_artifact(LOG_FILE)?;
    Ok(loss)
}

/// The program's own log, in the working directory.
const LOG_FILE: &str = "train.log";

/// The data, logged through the `log` crate as a library might.
mod data {
    /// Loads the shard of `epoch`.
    pub(crate) fn load(epoch: u32) -> u32 {
        log::debug!("reading shard {epoch}");
        log::info!("loaded shard {epoch}");
        100 + epoch
    }
}

fn main() -> anyhow::Result<()> {
    // Set up before the run, the program's subscriber is kept: sacred's layer writes Sacred's
    // lines (filtered by `-l` and `RUST_LOG`), a `fmt` layer writes every record of INFO
    // and above to the log file. `init` also sends `log` records to `tracing`.
    let file = std::fs::File::create(LOG_FILE)?;
    let to_file = tracing_subscriber::fmt::layer()
        .with_writer(std::sync::Mutex::new(file))
        .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
    tracing_subscriber::registry()
        .with(sacred::tracing_layer())
        .with(to_file)
        .init();
    sacred::main::<Config>()
}

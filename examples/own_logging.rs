//! The usual logging setup of a Rust program, made at the start of the experiment
//! function: `tracing_subscriber::fmt::init()` (or `env_logger`'s, with `logger=env_logger`).
//! The macro sees the setup in this file, so the run leaves the process's subscriber and
//! logger to it; what it prints is in the run's captured output, and the run's own lines
//! are sacred's.
//!
//! ```text
//! cargo run --example own_logging
//! cargo run --example own_logging -- with epochs=5 logger=env_logger
//! ```

use sacred::prelude::*;

/// Trains for a few epochs, logging as any Rust program does.
#[experiment]
fn main(
    /// how many epochs
    #[default(3)]
    epochs: u32,
    /// `tracing` (tracing_subscriber's fmt), `env_logger`, or `none` (the run then warns
    /// that the records reached no logger)
    #[default(String::from("tracing"))]
    logger: String,
    run: &Run,
) -> Result<f64, String> {
    match logger.as_str() {
        "tracing" => tracing_subscriber::fmt::init(),
        "env_logger" => {
            env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
                .init()
        }
        "none" => {}
        other => {
            return Err(format!(
                "unknown logger `{other}`: expected tracing, env_logger or none"
            ));
        }
    }
    let mut loss = 1.0;
    for epoch in 0..epochs {
        loss /= 2.0;
        run.log_scalar("training.loss", loss);
        tracing::info!(epoch, loss, "epoch done");
    }
    log::info!("a log record after {epochs} epochs");
    std::thread::spawn(|| tracing::warn!("from a worker thread"))
        .join()
        .map_err(|_| "the worker thread panicked".to_owned())?;
    Ok(loss)
}

//! The usual ways a program sets up its own logging, each in a real process (the end-to-end
//! tests of `tests/logging.rs` run them all). The variable `SETUP` chooses what `main`
//! installs before the run; the config value `body` what the experiment function tries
//! when it starts. Then the function logs through `tracing` (in a span, and on a thread of
//! its own) and `log`. The experiment is marked `logging = "sacred"`: sacred installs its
//! own subscriber and logger where `main` set none, which `init()` in the function then
//! finds in place (`examples/own_logging.rs` is the usual setup, without the mark).
//!
//! ```text
//! SETUP=fmt-init cargo run --example logging_setups
//! cargo run --example logging_setups -- with body=fmt-try-init
//! ```

use sacred::prelude::*;
use tracing_subscriber::prelude::*;

/// Logs a little after the setup that `body` names: none, fmt-try-init, registry-try-init,
/// set-global-default, env-logger-try-init, fmt-init or env-logger-init.
#[experiment(name = "setups", logging = "sacred")]
fn experiment(#[default(String::from("none"))] body: String) -> Result<(), String> {
    let installed = match body.as_str() {
        "none" => None,
        "fmt-try-init" => Some(tracing_subscriber::fmt().try_init().is_ok()),
        "registry-try-init" => Some(
            tracing_subscriber::registry()
                .with(tracing_subscriber::fmt::layer())
                .with(sacred::tracing_layer())
                .try_init()
                .is_ok(),
        ),
        "set-global-default" => Some(
            tracing::subscriber::set_global_default(tracing_subscriber::fmt().finish()).is_ok(),
        ),
        "env-logger-try-init" => Some(env_logger::try_init().is_ok()),
        // These two panic when a subscriber or logger is in place already.
        "fmt-init" => {
            tracing_subscriber::fmt::init();
            Some(true)
        }
        "env-logger-init" => {
            env_logger::init();
            Some(true)
        }
        other => return Err(format!("unknown body `{other}`")),
    };
    if let Some(installed) = installed {
        println!(
            "{body}: {}",
            if installed { "installed" } else { "refused" }
        );
    }
    let _step = tracing::info_span!("step", k = 1).entered();
    tracing::info!(marker = "T1", "a tracing event");
    tracing::debug!("a tracing detail");
    log::info!("a log record");
    log::debug!("a log detail");
    std::thread::spawn(|| tracing::info!("from a worker thread"))
        .join()
        .map_err(|_| "the worker thread panicked".to_owned())
}

fn main() -> anyhow::Result<()> {
    match std::env::var("SETUP").as_deref().unwrap_or("none") {
        "none" => {}
        "fmt-init" => tracing_subscriber::fmt::init(),
        "fmt-with-capture-layer" => tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer())
            .with(sacred::tracing_layer().capture_only())
            .init(),
        "set-global-default" => tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(sacred::tracing_layer()),
        )?,
        "env-logger-init" => env_logger::init(),
        other => anyhow::bail!("unknown SETUP `{other}`"),
    }
    sacred::main::<Config>()
}

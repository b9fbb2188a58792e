//! A progress bar drawn by `indicatif`, as without capture: on a terminal the run gets a
//! pseudo-terminal, so the bar draws, and the record keeps the bar's last state.
//!
//! ```text
//! cargo run --example progress -- -F runs
//! cat runs/1/cout.txt
//! ```

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use sacred::prelude::*;

/// Counts steps under a progress bar.
#[experiment]
fn main(
    /// steps to take
    #[default(200)]
    steps: u64,
    /// pause per step, in milliseconds
    #[default(2)]
    pause_ms: u64,
    run: &Run,
) -> Result<u64, String> {
    println!(
        "standard output is a terminal: {}",
        std::io::stdout().is_terminal()
    );
    let bar = ProgressBar::new(steps);
    let style = ProgressStyle::with_template("{bar:20} {pos}/{len} {msg}")
        .map_err(|e| e.to_string())?
        .progress_chars("#>-");
    bar.set_style(style);
    for step in 0..steps {
        run.log_scalar("step", step as f64);
        std::thread::sleep(std::time::Duration::from_millis(pause_ms));
        bar.inc(1);
    }
    bar.finish_with_message("done");
    println!("after the bar");
    Ok(steps)
}

//! Progress bars, as without capture: on a terminal the run gets a pseudo-terminal, so
//! bars draw, and the record keeps each bar's last state. `bar=indicatif` draws with the
//! `indicatif` crate, `bar=multi` two of its bars at once; `bar=run` with the run's own
//! [`Run::progress`], whose position is also a metric of the run.
//!
//! ```text
//! cargo run --example progress -- -F runs
//! cargo run --example progress -- -F runs with bar=run
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
    /// which bar draws: `indicatif`, `multi` (two of them) or `run`
    #[default(String::from("indicatif"))]
    bar: String,
    run: &Run,
) -> Result<u64, String> {
    println!(
        "standard output is a terminal: {}",
        std::io::stdout().is_terminal()
    );
    let pause = std::time::Duration::from_millis(pause_ms);
    match bar.as_str() {
        "indicatif" => {
            let bar = ProgressBar::new(steps);
            let style = ProgressStyle::with_template("{bar:20} {pos}/{len} {msg}")
                .map_err(|e| e.to_string())?
                .progress_chars("#>-");
            bar.set_style(style);
            for step in 0..steps {
                run.log_scalar("step", step as f64);
                std::thread::sleep(pause);
                bar.inc(1);
                if step == steps / 2 {
                    bar.println("halfway");
                }
            }
            bar.finish_with_message("done");
        }
        "multi" => {
            // Two bars, redrawn together with cursor moves.
            let bars = indicatif::MultiProgress::new();
            let style = ProgressStyle::with_template("{bar:20} {pos}/{len} {msg}")
                .map_err(|e| e.to_string())?
                .progress_chars("#>-");
            let first = bars.add(ProgressBar::new(steps).with_style(style.clone()));
            let second = bars.add(ProgressBar::new(steps / 2).with_style(style));
            first.set_message("first");
            second.set_message("second");
            for step in 0..steps {
                run.log_scalar("step", step as f64);
                std::thread::sleep(pause);
                first.inc(1);
                if step % 2 == 1 {
                    second.inc(1);
                }
            }
            first.finish_with_message("first done");
            second.finish_with_message("second done");
        }
        "run" => {
            let bar = run.progress("steps", steps);
            for step in 0..steps {
                std::thread::sleep(pause);
                bar.inc(1);
                if step == steps / 2 {
                    println!("halfway");
                }
            }
            bar.finish();
        }
        other => {
            return Err(format!(
                "bar={other:?}: expected `indicatif`, `multi` or `run`"
            ));
        }
    }
    println!("after the bar");
    Ok(steps)
}

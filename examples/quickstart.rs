//! The quick start: a small training run with a typed config, Sacred's command line and
//! reproducible seeds.
//!
//! ```text
//! cargo run --example quickstart -- with lr=0.0001
//! cargo run --example quickstart -- print_config
//! cargo run --example quickstart -- --help
//! ```

use sacred::prelude::*;

/// A small training run.
#[experiment]
fn main(
    /// samples per step
    #[default(32)]
    batch_size: u32,
    /// learning rate
    #[default(0.001)]
    lr: f64,
    #[default(5)] steps: u32,
    #[default(String::from("ok"))] mode: String,
    run: &Run,
) -> Result<f64, String> {
    println!(
        "seed={} data_seed={} rng={}",
        run.seed(),
        run.seed_for("data"),
        run.rng().next_u64()
    );
    for s in 0..steps {
        run.log_scalar("training.loss", 1.0 / (f64::from(s) + 1.0));
    }
    if mode == "fail" {
        return Err(format!("planned failure after {steps} steps"));
    }
    Ok(lr * f64::from(batch_size))
}

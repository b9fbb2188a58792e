//! An ingredient, a nested struct and an enum switched from the command line.
//!
//! ```text
//! cargo run --example ingredients -- --help
//! cargo run --example ingredients -- print_config with data.small schedule=Cosine
//! cargo run --example ingredients -- with 'schedule={Cosine: {warmup: 2}}' optimizer.lr=0.05
//! cargo run --example ingredients -- print_named_configs
//! ```
//!
//! `Dataset` is an ingredient: a section of the config defined once, with its defaults,
//! docs, its own named config (`with data.small`) and its own seed, derived from the run's
//! root seed. `Schedule` is an enum: `schedule=Cosine` picks a variant by name and takes
//! its fields' defaults.

use sacred::prelude::*;

/// Ten samples, for a quick check.
#[named_config]
fn small() -> DatasetPartial {
    DatasetPartial {
        samples: Some(10),
        ..Default::default()
    }
}

/// Where the training samples come from.
#[ingredient(named_configs(small))]
struct Dataset {
    /// the file with the samples
    #[default(String::from("data/train.csv"))]
    path: String,
    /// how many samples to draw
    #[default(1000)]
    samples: u32,
    /// shuffles the samples; derived from the root seed when not set
    seed: u64,
}

/// Optimiser settings.
#[config]
struct Optimizer {
    /// the learning rate
    #[default(0.1)]
    lr: f64,
    /// the momentum
    #[default(0.9)]
    momentum: f64,
}

/// How the learning rate changes over the steps.
#[config]
#[derive(Debug)]
enum Schedule {
    /// the same rate throughout
    Constant,
    /// a cosine decay to zero after a linear warm-up
    Cosine {
        /// steps of linear warm-up
        #[default(3)]
        warmup: u32,
    },
    /// a linear decay to `end` times the rate
    Linear {
        /// the final fraction of the rate
        end: f64,
    },
}

/// Named configs of the experiment may be typed too: `ConfigPartial` has its fields.
#[named_config]
fn short() -> ConfigPartial {
    ConfigPartial {
        steps: Some(3),
        ..Default::default()
    }
}

/// Trains a model on a dataset with an optimiser and a learning-rate schedule.
#[experiment(name = "ingredients", named_configs(short))]
fn main(
    /// the dataset
    data: Dataset,
    /// optimiser settings
    #[default(Optimizer { lr: 0.1, momentum: 0.9 })]
    optimizer: Optimizer,
    /// the learning-rate schedule
    #[default(Schedule::Constant)]
    schedule: Schedule,
    /// training steps
    #[default(10)]
    steps: u32,
    run: &Run,
) -> Result<f64, String> {
    // The ingredient's own seed: `run.seed_for("data")` unless set (`with data.seed=7`).
    let mut rng = sacred::seed::rng_from_seed(data.seed);
    let order = rng.next_u32() % data.samples.max(1);
    println!(
        "data: {} samples from {} (seed {}, first sample {order})",
        data.samples, data.path, data.seed
    );
    println!("schedule: {schedule:?}, momentum {}", optimizer.momentum);
    let mut loss = 1.0;
    for step in 0..steps {
        let lr = rate(&schedule, optimizer.lr, step, steps);
        loss *= 1.0 - lr.min(0.5);
        run.log_scalar("training.loss", loss);
        run.log_scalar("training.lr", lr);
    }
    Ok(loss)
}

/// The learning rate at `step` of `steps`.
fn rate(schedule: &Schedule, lr: f64, step: u32, steps: u32) -> f64 {
    let progress = f64::from(step) / f64::from(steps.max(1));
    match schedule {
        Schedule::Constant => lr,
        Schedule::Cosine { warmup } if step < *warmup => {
            lr * f64::from(step + 1) / f64::from(*warmup)
        }
        Schedule::Cosine { .. } => lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
        Schedule::Linear { end } => lr * (1.0 - (1.0 - end) * progress),
    }
}

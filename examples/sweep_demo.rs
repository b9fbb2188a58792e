//! A sweep and its workers: a small deterministic fit whose result depends on its config
//! and seed only, so a rerun gives the same result.
//!
//! ```text
//! cargo run --example sweep_demo -- sweep with lr=[0.1,0.01] batch_size=[16,32] -F runs
//! cargo run --features mongo --example sweep_demo -- sweep with lr=[0.1,0.01] -q -m localhost:27017:lab
//! cargo run --features mongo --example sweep_demo -- worker -m localhost:27017:lab --idle-exit 10
//! cargo run --features mongo --example sweep_demo -- rerun 1 -m localhost:27017:lab
//! ```

use std::time::Duration;

use sacred::prelude::*;

/// A toy fit: `steps` updates of a weight towards 1, with noise drawn from the run's seed.
#[experiment(name = "sweep_demo")]
fn main(
    /// learning rate
    #[default(0.1)]
    lr: f64,
    /// samples per step
    #[default(16)]
    batch_size: u32,
    /// units per layer (a list: in a sweep, a list of lists sweeps it)
    #[default(vec![8, 8])]
    layers: Vec<u32>,
    /// updates of the weight
    #[default(20)]
    steps: u32,
    /// seconds each step waits, to keep a run busy
    #[default(0.0)]
    pause: f64,
    run: &Run,
) -> f64 {
    let mut rng = run.rng_for("noise");
    let mut weight = 0.0_f64;
    for step in 0..steps {
        let noise = f64::from(u32::try_from(rng.next_u64() % 1000).unwrap_or(0)) / 1e5;
        weight += lr * (1.0 - weight) + noise;
        run.log_scalar_at("weight", weight, u64::from(step));
        if pause > 0.0 {
            std::thread::sleep(Duration::from_secs_f64(pause));
        }
    }
    let units: u32 = layers.iter().sum();
    weight * f64::from(batch_size) + f64::from(units)
}

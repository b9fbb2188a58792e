//! Layered configuration: a nested struct, named configs and a config file.
//!
//! ```text
//! cargo run --example config_layers -- print_config --sources with small examples/config_layers.toml optimizer.lr=0.05
//! cargo run --example config_layers -- print_named_configs
//! cargo run --example config_layers -- with sgd epochs=2
//! ```
//!
//! Layers apply in this order, later ones winning: the parameters' defaults, then named
//! configs and config files in command-line order, then `key=value` updates.

use sacred::prelude::*;
use sacred::serde::{Deserialize, Serialize};
use sacred::serde_json::{Value, json};

/// Optimiser settings: a nested table in the config, reached with dotted keys
/// (`with optimizer.lr=0.1`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(crate = "sacred::serde")]
struct Optimizer {
    name: String,
    lr: f64,
    betas: Vec<f64>,
}

/// Few, small batches for a quick check.
#[named_config]
fn small() -> Value {
    json!({ "batch_size": 8, "epochs": 1 })
}

/// Plain SGD with a larger learning rate.
#[named_config]
fn sgd() -> Value {
    json!({ "optimizer": { "name": "sgd", "betas": [] }, "optimizer.lr": 0.1 })
}

/// Trains a model whose settings come from several layers.
#[experiment(name = "config_layers", named_configs(small, sgd))]
fn main(
    /// samples per step
    #[default(32)]
    batch_size: u32,
    /// passes over the data
    #[default(10)]
    epochs: u32,
    /// optimiser settings
    #[default(Optimizer { name: "adam".into(), lr: 1e-3, betas: vec![0.9, 0.999] })]
    optimizer: Optimizer,
    /// hidden layer widths
    #[default(vec![64, 64])]
    layers: Vec<u32>,
    /// epochs without improvement before stopping; none: never stop early
    #[default(None)]
    patience: Option<u32>,
    run: &Run,
) -> Result<f64, String> {
    println!(
        "training {} layers with {} (lr={}) for {epochs} epochs, batch_size={batch_size}, patience={patience:?}",
        layers.len(),
        optimizer.name,
        optimizer.lr,
    );
    let mut rng = run.rng_for("init");
    let mut loss = 1.0;
    for epoch in 0..epochs {
        let noise = (rng.next_u32() % 1000) as f64 / 1e6;
        loss *= 1.0 - optimizer.lr.min(0.5) + noise;
        run.log_scalar("training.loss", loss);
        println!("epoch {epoch}: loss={loss:.6}");
    }
    Ok(loss)
}

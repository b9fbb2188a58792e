//! Every kind of parameter: a nested struct, `Option`, `Vec`, a user `seed`, a raw name,
//! named configs (one in a module), a config struct of another name, and `-> ()`.
#![deny(warnings)]

use sacred::prelude::*;

#[derive(sacred::serde::Serialize, sacred::serde::Deserialize)]
#[serde(crate = "sacred::serde")]
struct Optimizer {
    lr: f64,
    momentum: f64,
}

/// Smaller batches for a quick check.
#[named_config]
fn small() -> sacred::serde_json::Value {
    sacred::serde_json::json!({"batch_size": 8, "optimizer.lr": 0.1})
}

mod presets {
    use sacred::prelude::*;

    /// Fast settings.
    #[named_config]
    pub fn fast() -> Vec<(String, u32)> {
        vec![("steps".to_owned(), 1)]
    }
}

/// A small training run.
#[experiment(name = "quick", config = TrainConfig, named_configs(small, presets::fast))]
fn main(
    /// samples per step
    #[default(32)]
    batch_size: u32,
    #[default(Optimizer { lr: 0.01, momentum: 0.9 })] optimizer: Optimizer,
    #[default(None)] limit: Option<u32>,
    run: &Run,
    /// weights
    #[default(vec![0.5, 0.25])]
    weights: Vec<f64>,
    #[default(7)] seed: u32,
    #[default(String::from("train"))] r#type: String,
) -> () {
    let _ = (
        batch_size,
        optimizer.lr,
        optimizer.momentum,
        limit,
        weights,
        seed,
        r#type,
    );
    let _ = run.seed();
}

// The generated tables are plain constants.
const INFO: sacred::ExperimentInfo = <TrainConfig as sacred::Experiment>::INFO;
const _: () = {
    assert!(INFO.params.len() == 6);
    assert!(INFO.named_configs.len() == 2);
    assert!(INFO.seed_max == u32::MAX as u64);
    assert!(INFO.params[1].has_default && INFO.params[1].doc.is_empty());
};

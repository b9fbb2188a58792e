use sacred::prelude::*;

#[config]
struct Optimizer {
    #[default("fast")]
    lr: f64,
}

#[experiment]
fn main(optimizer: Optimizer) {
    let _ = optimizer.lr;
}

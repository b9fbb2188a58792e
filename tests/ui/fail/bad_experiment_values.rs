use sacred::prelude::*;

#[experiment(name = 3, config = "TrainConfig", named_configs = small, logging = "mine")]
fn main() {}

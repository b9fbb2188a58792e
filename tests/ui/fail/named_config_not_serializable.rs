use sacred::prelude::*;

struct Preset;

#[named_config]
fn small() -> Preset {
    Preset
}

#[experiment(named_configs(small))]
fn main() {}

use sacred::prelude::*;

#[named_config(name = "small")]
fn small(batch_size: u32) -> u32 {
    batch_size
}

#[named_config]
fn no_values() {}

#[experiment(named_configs(small, no_values))]
fn main() {}

use sacred::prelude::*;

#[named_config]
fn small() -> u32 {
    1
}

mod presets {
    use sacred::prelude::*;

    #[named_config]
    pub fn small() -> u32 {
        2
    }
}

#[experiment(named_configs(small, presets::small))]
fn main() {}

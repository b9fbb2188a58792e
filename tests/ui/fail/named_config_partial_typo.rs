use sacred::prelude::*;

/// A typed named config is checked by the compiler.
#[named_config]
fn small() -> DatasetPartial {
    DatasetPartial {
        sampels: Some(10),
        ..Default::default()
    }
}

#[ingredient(named_configs(small))]
struct Dataset {
    #[default(100)]
    samples: u32,
}

#[experiment]
fn main(data: Dataset) {
    let _ = data.samples;
}

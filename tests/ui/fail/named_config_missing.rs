use sacred::prelude::*;

// `fast` is a plain function, not a `#[named_config]`.
fn fast() -> u32 {
    1
}

#[experiment(named_configs(fast))]
fn main() {
    let _ = fast();
}

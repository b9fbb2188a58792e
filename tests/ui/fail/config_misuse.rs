use sacred::prelude::*;

#[config(rename = "x")]
struct Pair(u32, u32);

#[config]
struct Generic<T> {
    value: T,
}

#[config]
struct Twice {
    #[default(1)]
    #[default(2)]
    steps: u32,
    #[default]
    rate: f64,
}

#[ingredient(named_config(small))]
enum NotAStruct {
    A,
}

#[config]
fn not_a_type() {}

fn main() {}

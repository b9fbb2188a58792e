use sacred::prelude::*;

#[experiment(name = "a", name = "b")]
fn main() {}

use sacred::prelude::*;

#[experiment]
struct Config;

fn main() {}

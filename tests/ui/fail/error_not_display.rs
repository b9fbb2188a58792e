use sacred::prelude::*;

#[derive(Debug)]
struct Oops;

#[experiment]
fn main() -> Result<u32, Oops> {
    Err(Oops)
}

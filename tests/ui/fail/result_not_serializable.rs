use sacred::prelude::*;

struct Model;

#[experiment]
fn main() -> Result<Model, String> {
    Ok(Model)
}

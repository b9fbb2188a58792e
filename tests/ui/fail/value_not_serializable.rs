use sacred::prelude::*;

struct Model;

#[experiment]
fn main() -> Model {
    Model
}

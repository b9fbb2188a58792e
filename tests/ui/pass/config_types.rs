//! `#[config]` and `#[ingredient]` under `#![deny(warnings)]`, with shadowed prelude
//! names: the expansion names only `::sacred::__private`, `::core` and `::std`.
#![deny(warnings)]

use sacred::prelude::*;

#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct Some;
#[allow(dead_code)]
struct Default;
mod serde {}

/// A schedule.
#[config]
#[derive(Debug)]
enum Schedule {
    /// constant
    Constant,
    /// cosine
    Cosine {
        /// warm-up
        #[default(5)]
        warmup: u32,
    },
    /// by steps
    Step(u32),
}

/// A dataset.
#[ingredient]
struct Data {
    /// samples
    #[default(10)]
    samples: u32,
    /// a nested enum
    #[default(Schedule::Step(2))]
    order: Schedule,
}

#[experiment]
fn main(data: Data, #[default(Schedule::Constant)] schedule: Schedule) {
    let _ = (data.samples, &data.order, schedule);
}

//! The handle an experiment function receives: seeds, generators and metrics.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use crate::seed::{self, SeededRng};

/// One scalar metric value.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarPoint {
    /// The step.
    pub step: u64,
    /// The value.
    pub value: f64,
    /// When it was logged.
    pub timestamp: SystemTime,
}

#[derive(Debug, Default)]
struct Metrics {
    /// Points per metric name, in logging order.
    series: HashMap<String, Vec<ScalarPoint>>,
    /// The next automatic step per metric name.
    next_step: HashMap<String, u64>,
}

/// A running experiment. The experiment function receives it as `&Run`; it is `Send + Sync`
/// and usable from many threads at once.
#[derive(Debug)]
pub struct Run {
    seed: u64,
    experiment_name: String,
    config: serde_json::Value,
    metrics: Mutex<Metrics>,
}

impl Run {
    /// A run of the named experiment with the resolved config (which holds `seed`).
    pub fn new(experiment_name: impl Into<String>, seed: u64, config: serde_json::Value) -> Self {
        Self {
            seed,
            experiment_name: experiment_name.into(),
            config,
            metrics: Mutex::new(Metrics::default()),
        }
    }

    /// The root seed of this run: the config's `seed`.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The sub-seed called `name`: a stable function of the root seed and the name (see
    /// [`crate::seed`]). The same root seed gives the same sub-seeds on every machine.
    pub fn seed_for(&self, name: &str) -> u64 {
        seed::seed_for(self.seed, name)
    }

    /// A generator seeded from the root seed. Every call returns a generator at the start of
    /// the same stream; use [`Run::rng_for`] for independent streams.
    pub fn rng(&self) -> SeededRng {
        seed::rng_from_seed(self.seed)
    }

    /// A generator seeded from [`Run::seed_for`]`(name)`.
    pub fn rng_for(&self, name: &str) -> SeededRng {
        seed::rng_from_seed(self.seed_for(name))
    }

    /// The experiment's name (or the `-n/--name` given for this run).
    pub fn experiment_name(&self) -> &str {
        &self.experiment_name
    }

    /// The resolved config, as recorded.
    pub fn config(&self) -> &serde_json::Value {
        &self.config
    }

    /// Logs a scalar under `name` at the next step of that metric: 0 for the first value,
    /// then one past the last step logged for it (explicit steps included).
    pub fn log_scalar(&self, name: &str, value: impl Into<f64>) {
        self.push(name, value.into(), None);
    }

    /// Logs a scalar under `name` at an explicit step.
    pub fn log_scalar_at(&self, name: &str, value: impl Into<f64>, step: u64) {
        self.push(name, value.into(), Some(step));
    }

    /// The points logged so far for `name`, in logging order.
    pub fn scalars(&self, name: &str) -> Vec<ScalarPoint> {
        self.lock_metrics()
            .series
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    fn push(&self, name: &str, value: f64, step: Option<u64>) {
        let mut metrics = self.lock_metrics();
        let next = metrics.next_step.get(name).copied().unwrap_or(0);
        let step = step.unwrap_or(next);
        metrics.next_step.insert(name.to_owned(), step + 1);
        metrics
            .series
            .entry(name.to_owned())
            .or_default()
            .push(ScalarPoint {
                step,
                value,
                timestamp: SystemTime::now(),
            });
    }

    fn lock_metrics(&self) -> std::sync::MutexGuard<'_, Metrics> {
        // A panic while holding the lock cannot leave the maps inconsistent: every update is
        // a single insert or push, so the poisoned data is still valid.
        self.metrics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_count_per_name_and_continue_after_explicit_steps() {
        let run = Run::new("t", 1, serde_json::json!({"seed": 1}));
        run.log_scalar("a", 1.0);
        run.log_scalar("a", 2.0);
        run.log_scalar("b", 3);
        run.log_scalar_at("a", 4.0, 10);
        run.log_scalar("a", 5.0);
        let steps: Vec<u64> = run.scalars("a").iter().map(|p| p.step).collect();
        assert_eq!(steps, [0, 1, 10, 11]);
        assert_eq!(run.scalars("b")[0].step, 0);
        assert_eq!(run.scalars("b")[0].value, 3.0);
    }

    #[test]
    fn run_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Run>();
    }
}

//! The points of each metric not yet handed to the observers, grouped by name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::observer::MetricSeries;
use crate::sync::lock;
use crate::time::Timestamp;

#[derive(Debug, Default)]
struct MetricState {
    next_step: u64,
    pending: Vec<(u64, f64, Timestamp)>,
}

/// The points of one metric not yet handed to the observers.
#[derive(Debug)]
pub(crate) struct MetricBuffer {
    pub(super) name: String,
    state: Mutex<MetricState>,
}

impl MetricBuffer {
    pub(super) fn push(&self, value: f64, step: Option<u64>) {
        let timestamp = Timestamp::now();
        let mut state = lock(&self.state);
        let step = step.unwrap_or(state.next_step);
        state.next_step = step.saturating_add(1);
        state.pending.push((step, value, timestamp));
    }

    fn drain(&self) -> Option<MetricSeries> {
        let pending = std::mem::take(&mut lock(&self.state).pending);
        if pending.is_empty() {
            return None;
        }
        let mut series = MetricSeries {
            name: self.name.clone(),
            steps: Vec::with_capacity(pending.len()),
            values: Vec::with_capacity(pending.len()),
            timestamps: Vec::with_capacity(pending.len()),
        };
        for (step, value, timestamp) in pending {
            series.steps.push(step);
            series.values.push(value);
            series.timestamps.push(timestamp);
        }
        Some(series)
    }
}

/// Every metric of a run, by name, in order of first use.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    by_name: RwLock<HashMap<String, Arc<MetricBuffer>>>,
    order: Mutex<Vec<Arc<MetricBuffer>>>,
}

impl Metrics {
    pub(super) fn get(&self, name: &str) -> Arc<MetricBuffer> {
        if let Some(found) = self
            .by_name
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
        {
            return Arc::clone(found);
        }
        let mut by_name = self.by_name.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(by_name.entry(name.to_owned()).or_insert_with(|| {
            let buffer = Arc::new(MetricBuffer {
                name: name.to_owned(),
                state: Mutex::default(),
            });
            lock(&self.order).push(Arc::clone(&buffer));
            buffer
        }))
    }

    /// Takes every point logged since the previous call, grouped by name.
    pub(crate) fn drain(&self) -> Vec<MetricSeries> {
        let buffers: Vec<Arc<MetricBuffer>> = lock(&self.order).clone();
        buffers.iter().filter_map(|b| b.drain()).collect()
    }
}

//! Metric points: one `$push … $each` per metric and beat into its `metrics` document
//! (Sacred's), up to [`Limits::metric_points`](crate::Limits::metric_points) points; the
//! points past that bound go to new documents of the overflow collection, inserted, never
//! grown, so a write costs what is new, not the length of the run.

use mongodb::bson::{Bson, Document, doc};
use sacred_core::observer::{MetricSeries, MetricsEvent};

use super::{Worker, id_text};
use crate::connect::timed;
use crate::encode::{date, uint};
use crate::error::MongoError;

impl Worker {
    /// Appends the points of each series; the first failure is reported after all were
    /// tried.
    pub(super) async fn metrics(&mut self, event: &MetricsEvent) -> Result<(), MongoError> {
        if self.run.is_none() {
            return Err(self.no_run("metrics"));
        }
        let mut first_failure = self.ensure_metrics_index().await.err();
        for series in &event.series {
            if let Err(e) = self.push_series(series).await {
                first_failure.get_or_insert(e);
            }
        }
        first_failure.map_or(Ok(()), Err)
    }

    async fn push_series(&mut self, series: &MetricSeries) -> Result<(), MongoError> {
        let limit = self.limits.operation_timeout;
        let bound = self.limits.metric_points;
        let n = series
            .steps
            .len()
            .min(series.values.len())
            .min(series.timestamps.len());
        if n == 0 {
            return Ok(());
        }
        let Some(run) = self.run.as_ref() else {
            return Err(self.no_run("metrics"));
        };
        let key = run.key.clone();
        let mut state = run.metrics.get(&series.name).cloned().unwrap_or_default();
        let head = bound.saturating_sub(state.in_document).min(n);
        let filter = doc! { "run_id": key.clone(), "name": &series.name };

        if head < n {
            // Without the index the chunks are still stored (a repeated write would then
            // duplicate one): report, and go on.
            if let Err(e) = self.ensure_overflow_index().await {
                self.report(&e);
            }
            let mut documents = Vec::new();
            let mut chunk = state.chunks;
            let mut from = head;
            while from < n {
                let to = (from + bound).min(n);
                let mut document = doc! {
                    "run_id": key.clone(),
                    "name": &series.name,
                    "chunk": uint(chunk),
                };
                document.extend(arrays(series, from, to));
                documents.push(document);
                chunk += 1;
                from = to;
            }
            match timed(limit, self.overflow.insert_many(documents).ordered(false)).await {
                // A chunk already there was written by an earlier try: the write is done.
                Ok(_) => {}
                Err(f) if f.is_duplicate_key() => {}
                Err(f) => {
                    return Err(self.error(
                        &format!("store the points of the metric `{}`", series.name),
                        f,
                    ));
                }
            }
            state.chunks = chunk;
        }

        let total = state.total + n as u64;
        let mut update = Document::new();
        if head > 0 {
            update.insert("$push", push_each(series, head));
        }
        if state.chunks > 0 {
            update.insert("$set", doc! { "overflow": true, "count": uint(total) });
        }
        let outcome = timed(
            limit,
            self.metrics.update_one(filter.clone(), update).upsert(true),
        )
        .await
        .map_err(|f| self.error(&format!("append to the metric `{}`", series.name), f))?;
        let id = match (outcome.upserted_id, state.id.take()) {
            (Some(id), _) => Some(id),
            (None, Some(id)) => Some(id),
            // An existing document this observer did not create: look its id up.
            (None, None) => timed(
                limit,
                self.metrics.find_one(filter).projection(doc! { "_id": 1 }),
            )
            .await
            .ok()
            .flatten()
            .and_then(|mut d| d.remove("_id")),
        };
        let Some(run) = self.run.as_mut() else {
            return Ok(());
        };
        let known = run
            .metrics
            .get(&series.name)
            .and_then(|m| m.id.as_ref())
            .is_some();
        if !known && let Some(id) = &id {
            run.info_metrics.push(Bson::Document(
                doc! { "name": &series.name, "id": id_text(id) },
            ));
        }
        state.id = id;
        state.in_document += head;
        state.total = total;
        run.metrics.insert(series.name.clone(), state);
        Ok(())
    }
}

/// `{$push: {steps: {$each}, timestamps: {$each}, values: {$each}}}` of the first `n` points.
fn push_each(series: &MetricSeries, n: usize) -> Document {
    let mut push = Document::new();
    for (key, value) in arrays(series, 0, n) {
        push.insert(key, doc! { "$each": value });
    }
    push
}

/// `steps`, `timestamps`, `values` of the points `from..to`: steps as `Int32` when they fit,
/// values as `Double`, timestamps as dates.
fn arrays(series: &MetricSeries, from: usize, to: usize) -> Document {
    let steps: Vec<Bson> = series.steps[from..to].iter().map(|s| uint(*s)).collect();
    let timestamps: Vec<Bson> = series.timestamps[from..to]
        .iter()
        .map(|t| date(*t))
        .collect();
    let values: Vec<Bson> = series.values[from..to]
        .iter()
        .map(|v| Bson::Double(*v))
        .collect();
    doc! { "steps": steps, "timestamps": timestamps, "values": values }
}

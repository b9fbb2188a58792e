//! Metric points on their way to the pump.
//!
//! Each thread that logs to a run gets a ring of its own ([`Ring`], [`RING_POINTS`] points,
//! allocated once, never grown): a call writes one point there and publishes it with one
//! atomic store. No lock, no allocation, no other thread touched. A point carries a raw
//! TSC tick ([`quanta`]), not a wall-clock reading; the pump converts ticks to wall time
//! when it drains the rings at each beat.
//!
//! Steps are numbered when the points are drained, in the order they were logged, so a
//! call touches no counter that other threads share. Lookups by name go through a
//! per-thread cache, so only a name's first use on a thread takes the run's lock. When a ring is full before the beat comes, the thread asks the
//! pump to drain at once (to the journal) and waits until there is room: memory stays at
//! its bound, and no point is ever dropped while the run goes on.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::Duration;

use super::shared::RunMessage;
use crate::observer::MetricSeries;
use crate::sync::lock;
use crate::time::Timestamp;

/// The points a thread's ring holds (32 bytes each: 1 MiB a ring).
pub(crate) const RING_POINTS: usize = 1 << 15;
/// The atomic words of one point: metric, step, value bits, tick.
const WORDS: usize = 4;
/// A ring this full asks the pump to drain it, before the beat, while there is room left.
const HALF: u64 = RING_POINTS as u64 / 2;

/// What became of a point written to a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Push {
    Stored,
    /// Stored, and the ring is now half full.
    HalfFull,
    /// Not stored: no room.
    Full,
}

/// One thread's points of one run: written by that thread alone, drained by the pump
/// alone.
#[derive(Debug)]
struct Ring {
    slots: Box<[AtomicU64]>,
    /// Points written (only the owning thread stores it).
    head: AtomicU64,
    /// Points drained (only the pump stores it).
    tail: AtomicU64,
}

impl Ring {
    fn new() -> Self {
        Self {
            slots: (0..RING_POINTS * WORDS)
                .map(|_| AtomicU64::new(0))
                .collect(),
            head: AtomicU64::new(0),
            tail: AtomicU64::new(0),
        }
    }

    /// Writes a point; [`Push::Full`] when there is no room.
    #[inline]
    fn push(&self, word: u64, step: u64, value: f64, tick: u64) -> Push {
        let head = self.head.load(Ordering::Relaxed);
        let used = head.wrapping_sub(self.tail.load(Ordering::Acquire));
        if used >= RING_POINTS as u64 {
            return Push::Full;
        }
        let at = (head as usize % RING_POINTS) * WORDS;
        if let Some(slot) = self.slots.get(at..at + WORDS) {
            slot[0].store(word, Ordering::Relaxed);
            slot[1].store(step, Ordering::Relaxed);
            slot[2].store(value.to_bits(), Ordering::Relaxed);
            slot[3].store(tick, Ordering::Relaxed);
        }
        self.head.store(head.wrapping_add(1), Ordering::Release);
        if used + 1 == HALF {
            Push::HalfFull
        } else {
            Push::Stored
        }
    }

    /// Hands every point written so far to `take`, oldest first, and frees their room.
    fn drain(&self, mut take: impl FnMut(u64, u64, f64, u64)) {
        let tail = self.tail.load(Ordering::Relaxed);
        let head = self.head.load(Ordering::Acquire);
        let mut at = tail;
        while at != head {
            let i = (at as usize % RING_POINTS) * WORDS;
            if let Some(slot) = self.slots.get(i..i + WORDS) {
                take(
                    slot[0].load(Ordering::Relaxed),
                    slot[1].load(Ordering::Relaxed),
                    f64::from_bits(slot[2].load(Ordering::Relaxed)),
                    slot[3].load(Ordering::Relaxed),
                );
            }
            at = at.wrapping_add(1);
        }
        self.tail.store(head, Ordering::Release);
    }
}

/// One metric of the run: its name and its index in the run.
#[derive(Debug)]
pub(crate) struct MetricInfo {
    pub(super) name: String,
    index: u32,
}

/// In a point's first word, above the metric's index: the point has an explicit step.
const EXPLICIT: u64 = 1 << 32;

/// Every metric and every thread's ring of one run.
#[derive(Debug)]
struct Registry {
    /// Tells this run's entries apart in each thread's cache.
    key: u64,
    by_name: RwLock<HashMap<String, Arc<MetricInfo>>>,
    /// The metrics in order of first use (their index).
    order: RwLock<Vec<Arc<MetricInfo>>>,
    rings: Mutex<Vec<Arc<Ring>>>,
    /// Each metric's next step, by index: steps without an explicit one are numbered when
    /// the points are drained, in the order they were logged (the drain alone uses it).
    next_steps: Mutex<Vec<u64>>,
    clock: quanta::Clock,
    /// The pump's queue, to ask for a drain when a ring is full.
    pump: Mutex<Option<Sender<RunMessage>>>,
    /// A drain was asked for and has not happened yet.
    drain_asked: AtomicBool,
}

/// A thread's view of one run: its ring and its cache of names.
struct Local {
    key: u64,
    registry: Weak<Registry>,
    ring: Arc<Ring>,
    /// The index of each metric this thread logged to by name.
    names: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
}

thread_local! {
    /// The runs this thread logged to (nearly always one).
    static LOCAL: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
}

/// A run's metrics: the handle's side (logging) and the pump's (draining).
#[derive(Debug, Clone)]
pub(crate) struct Metrics {
    registry: Arc<Registry>,
}

impl Default for Metrics {
    fn default() -> Self {
        static KEYS: AtomicU64 = AtomicU64::new(1);
        Self {
            registry: Arc::new(Registry {
                key: KEYS.fetch_add(1, Ordering::Relaxed),
                by_name: RwLock::default(),
                order: RwLock::default(),
                rings: Mutex::default(),
                next_steps: Mutex::default(),
                clock: quanta::Clock::new(),
                pump: Mutex::new(None),
                drain_asked: AtomicBool::new(false),
            }),
        }
    }
}

impl Metrics {
    /// Where to ask for a drain when a ring is full.
    pub(crate) fn connect(&self, pump: Sender<RunMessage>) {
        *lock(&self.registry.pump) = Some(pump);
    }

    /// The metric called `name`, created at its first use.
    pub(crate) fn get(&self, name: &str) -> Arc<MetricInfo> {
        let registry = &self.registry;
        if let Some(found) = registry
            .by_name
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
        {
            return Arc::clone(found);
        }
        let mut by_name = registry
            .by_name
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(by_name.entry(name.to_owned()).or_insert_with(|| {
            let mut order = registry
                .order
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let info = Arc::new(MetricInfo {
                name: name.to_owned(),
                index: u32::try_from(order.len()).unwrap_or(u32::MAX),
            });
            order.push(Arc::clone(&info));
            info
        }))
    }

    /// Logs `value` to `metric` at `step` (or its next step).
    #[inline]
    pub(crate) fn push(&self, metric: &MetricInfo, value: f64, step: Option<u64>) {
        let pushed = LOCAL.with(|local| {
            let local = local.borrow();
            let l = local.iter().find(|l| l.key == self.registry.key)?;
            self.push_to(&l.ring, metric.index, value, step);
            Some(())
        });
        if pushed.is_none() {
            let ring = self.with_local(|local| Arc::clone(&local.ring));
            self.push_to(&ring, metric.index, value, step);
        }
    }

    /// Logs `value` to the metric called `name`: the name is looked up in this thread's
    /// cache (one thread-local access for the lookup and the point), and in the run only
    /// at its first use on this thread.
    #[inline]
    pub(crate) fn push_by_name(&self, name: &str, value: f64, step: Option<u64>) {
        let pushed = LOCAL.with(|local| {
            let local = local.borrow();
            let l = local.iter().find(|l| l.key == self.registry.key)?;
            let index = *l.names.get(name)?;
            self.push_to(&l.ring, index, value, step);
            Some(())
        });
        if pushed.is_none() {
            let metric = self.get(name);
            let ring = self.with_local(|local| {
                local.names.insert(name.into(), metric.index);
                Arc::clone(&local.ring)
            });
            self.push_to(&ring, metric.index, value, step);
        }
    }

    /// Writes a point of the metric `index` to `ring` (this thread's), stamped now.
    #[inline]
    fn push_to(&self, ring: &Ring, index: u32, value: f64, step: Option<u64>) {
        let (word, step) = match step {
            Some(step) => (u64::from(index) | EXPLICIT, step),
            None => (u64::from(index), 0),
        };
        let tick = self.registry.clock.raw();
        match ring.push(word, step, value, tick) {
            Push::Stored => {}
            Push::HalfFull => self.ask_for_drain(),
            Push::Full => self.wait_for_room(ring, word, step, value, tick),
        }
    }

    /// Runs `f` with this thread's entry for this run, made if missing; entries of runs
    /// that ended are dropped on the way.
    #[cold]
    fn with_local<T>(&self, f: impl FnOnce(&mut Local) -> T) -> T {
        LOCAL.with(|local| {
            let mut local = local.borrow_mut();
            local.retain(|l| l.registry.strong_count() > 0);
            let at = match local.iter().position(|l| l.key == self.registry.key) {
                Some(at) => at,
                None => {
                    let ring = Arc::new(Ring::new());
                    lock(&self.registry.rings).push(Arc::clone(&ring));
                    local.push(Local {
                        key: self.registry.key,
                        registry: Arc::downgrade(&self.registry),
                        ring,
                        names: HashMap::default(),
                    });
                    local.len() - 1
                }
            };
            f(&mut local[at])
        })
    }

    /// Asks the pump to drain the rings now, unless that was asked already.
    #[cold]
    fn ask_for_drain(&self) {
        if self.registry.drain_asked.swap(true, Ordering::AcqRel) {
            return;
        }
        let sent = lock(&self.registry.pump)
            .as_ref()
            .is_some_and(|pump| pump.send(RunMessage::Drain).is_ok());
        if !sent {
            self.registry.drain_asked.store(false, Ordering::Release);
        }
    }

    /// The ring is full: the pump is asked to drain now, and the point waits for room.
    /// Once the run is over (no pump to drain), the point has nowhere to go.
    #[cold]
    fn wait_for_room(&self, ring: &Ring, word: u64, step: u64, value: f64, tick: u64) {
        let mut pause = Duration::from_micros(10);
        loop {
            // Asked at every turn, not once: a pump that ended unasked must be noticed.
            self.registry.drain_asked.store(true, Ordering::Release);
            let sent = lock(&self.registry.pump)
                .as_ref()
                .is_some_and(|pump| pump.send(RunMessage::Drain).is_ok());
            if !sent {
                return;
            }
            std::thread::sleep(pause);
            if ring.push(word, step, value, tick) != Push::Full {
                return;
            }
            pause = (pause * 2).min(Duration::from_micros(500));
        }
    }

    /// Takes every point logged since the previous call, grouped by metric (in order of
    /// first use), each metric's points in the order they were logged, with wall-clock
    /// times.
    pub(crate) fn drain(&self) -> Vec<MetricSeries> {
        let registry = &self.registry;
        let rings: Vec<Arc<Ring>> = lock(&registry.rings).clone();
        registry.drain_asked.store(false, Ordering::Release);
        // (tick, explicit step, value) by metric.
        let mut points: Vec<Vec<(u64, Option<u64>, f64)>> = Vec::new();
        let mut contributing = 0;
        for ring in &rings {
            let mut any = false;
            ring.drain(|word, step, value, tick| {
                let metric = usize::try_from(word & (EXPLICIT - 1)).unwrap_or(usize::MAX);
                if points.len() <= metric {
                    points.resize_with(metric + 1, Vec::new);
                }
                let step = (word & EXPLICIT != 0).then_some(step);
                points[metric].push((tick, step, value));
                any = true;
            });
            contributing += usize::from(any);
        }
        let mixed = contributing > 1;
        // Ticks to wall time: one reading of both clocks now.
        let now_tick = registry.clock.raw();
        let now = Timestamp::now().as_micros();
        let at = |tick: u64| {
            let ago = registry.clock.delta_as_nanos(tick, now_tick) / 1000;
            Timestamp::from_micros(now - i64::try_from(ago).unwrap_or(i64::MAX))
        };
        let order = registry
            .order
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let mut next_steps = lock(&registry.next_steps);
        if next_steps.len() < order.len() {
            next_steps.resize(order.len(), 0);
        }
        let mut series = Vec::new();
        for (index, mut points) in points.into_iter().enumerate() {
            if points.is_empty() {
                continue;
            }
            if mixed {
                // Several threads: their points of one metric in the order logged.
                points.sort_by_key(|p| p.0);
            }
            let (Some(info), Some(next)) = (order.get(index), next_steps.get_mut(index)) else {
                continue;
            };
            // Steps in the order logged: an explicit one sets where the count goes on.
            let steps = points
                .iter()
                .map(|p| {
                    let step = p.1.unwrap_or(*next);
                    *next = step.saturating_add(1);
                    step
                })
                .collect();
            series.push(MetricSeries {
                name: info.name.clone(),
                steps,
                values: points.iter().map(|p| p.2).collect(),
                timestamps: points.iter().map(|p| at(p.0)).collect(),
            });
        }
        series
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// A stand-in for the pump's drain loop: drains whenever asked, keeps what it got.
    fn pump(
        metrics: &Metrics,
    ) -> (
        std::thread::JoinHandle<Vec<MetricSeries>>,
        Sender<RunMessage>,
    ) {
        let (sender, receiver) = mpsc::channel();
        metrics.connect(sender.clone());
        let drained = metrics.clone();
        let handle = std::thread::spawn(move || {
            let mut got = Vec::new();
            while let Ok(message) = receiver.recv() {
                match message {
                    RunMessage::Drain => got.extend(drained.drain()),
                    _ => break,
                }
            }
            got.extend(drained.drain());
            got
        });
        (handle, sender)
    }

    fn points_of(series: &[MetricSeries], name: &str) -> Vec<(u64, f64)> {
        series
            .iter()
            .filter(|s| s.name == name)
            .flat_map(|s| s.steps.iter().copied().zip(s.values.iter().copied()))
            .collect()
    }

    #[test]
    fn a_full_ring_is_drained_early_and_no_point_is_lost() {
        let metrics = Metrics::default();
        let (handle, sender) = pump(&metrics);
        let loss = metrics.get("loss");
        let n = RING_POINTS as u64 * 3 + 17;
        for i in 0..n {
            metrics.push(&loss, i as f64, None);
        }
        let _ = sender.send(RunMessage::Id(None));
        let got = handle.join().unwrap_or_default();
        let points = points_of(&got, "loss");
        assert_eq!(points.len() as u64, n);
        assert!(
            points
                .iter()
                .enumerate()
                .all(|(i, p)| *p == (i as u64, i as f64))
        );
        assert!(
            got.len() >= 3,
            "drained before the end: {} drains",
            got.len()
        );
    }

    #[test]
    fn threads_log_without_sharing_and_every_point_arrives_once() {
        let metrics = Metrics::default();
        let (handle, sender) = pump(&metrics);
        let before = Timestamp::now().as_micros();
        std::thread::scope(|scope| {
            for t in 0..8u64 {
                let metrics = metrics.clone();
                scope.spawn(move || {
                    for i in 0..20_000u64 {
                        metrics.push_by_name("shared", (t * 100_000 + i) as f64, None);
                        metrics.push_by_name(&format!("own.{t}"), i as f64, Some(i * 2));
                    }
                });
            }
        });
        let after = Timestamp::now().as_micros();
        let _ = sender.send(RunMessage::Id(None));
        let got = handle.join().unwrap_or_default();
        let mut shared = points_of(&got, "shared");
        assert_eq!(shared.len(), 160_000);
        // One counter of steps for the metric, whichever thread logs: each step once.
        shared.sort_by_key(|p| p.0);
        assert!(shared.iter().enumerate().all(|(i, p)| p.0 == i as u64));
        for t in 0..8u64 {
            let own = points_of(&got, &format!("own.{t}"));
            assert_eq!(own.len(), 20_000);
            assert!(own.iter().enumerate().all(|(i, p)| p.0 == i as u64 * 2));
        }
        // Times are wall-clock times of the calls, in order within a drain.
        for series in &got {
            assert!(
                series.timestamps.windows(2).all(|w| w[0] <= w[1]),
                "{}",
                series.name
            );
            assert!(series.timestamps.iter().all(|t| {
                let t = t.as_micros();
                t >= before - 2_000 && t <= after + 2_000
            }));
        }
    }

    #[test]
    fn a_thread_logging_to_two_runs_keeps_them_apart() {
        let (a, b) = (Metrics::default(), Metrics::default());
        for i in 0..10 {
            a.push_by_name("x", f64::from(i), None);
            b.push_by_name("x", f64::from(i) * 10.0, None);
        }
        assert_eq!(
            a.drain()[0].values,
            (0..10).map(f64::from).collect::<Vec<_>>()
        );
        assert_eq!(b.drain()[0].values[9], 90.0);
        assert!(a.drain().is_empty());
        // A run that ended leaves nothing behind in the thread.
        drop(a);
        b.push_by_name("y", 1.0, None);
        assert_eq!(LOCAL.with(|l| l.borrow().len()), 1);
    }
}

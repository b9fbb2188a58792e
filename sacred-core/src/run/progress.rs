//! [`Progress`]: a progress bar that is also a metric of the run.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::Metric;
use crate::log::format_elapsed;
use crate::sync::lock;

/// How often a bar is redrawn and its metric logged, at most.
const EVERY: Duration = Duration::from_millis(100);

/// The width of the bar itself, in characters.
const WIDTH: usize = 30;

/// The bar on the terminal now, if any: the output functions clear its line before a line
/// of text and draw it again after, so that text never lands on the bar.
static ON_SCREEN: Mutex<Option<Weak<Inner>>> = Mutex::new(None);

/// Whether a bar may be on the terminal: the output functions look no further when not.
static BAR_DRAWN: AtomicBool = AtomicBool::new(false);

/// A progress bar of the run, made by [`Run::progress`](crate::Run::progress).
///
/// It draws on standard error when that is a terminal (under the default `-C fd` capture
/// too: the run then has a pseudo-terminal), at most ten times a second; its last state
/// goes to the captured output, as a terminal shows it (under `-C sys`, its last state
/// only). Its position is also a metric of
/// the run, under the bar's name, logged at most ten times a second and once at the end,
/// so that how far a run got is in the record whether or not anyone watched.
///
/// Lines printed with the `sacred` prelude's `println!`/`eprintln!` and the run's log
/// lines clear the bar first and draw it again below themselves, as with `indicatif`'s
/// `println`. Clones share the bar; [`Progress::finish`] (or dropping the last clone)
/// ends it.
#[derive(Debug, Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    total: u64,
    position: AtomicU64,
    metric: Metric,
    /// Whether the bar is drawn at all: standard error is a terminal.
    draws: bool,
    started: Instant,
    /// When the bar is next drawn and logged, in nanoseconds since `started`.
    next: AtomicU64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The position last logged.
    logged: Option<u64>,
    /// The bar's line is on the screen, not ended.
    shown: bool,
    finished: bool,
}

impl Progress {
    pub(super) fn new(name: &str, total: u64, metric: Metric) -> Progress {
        let inner = Arc::new(Inner {
            name: name.to_owned(),
            total,
            position: AtomicU64::new(0),
            metric,
            draws: std::io::stderr().is_terminal(),
            started: Instant::now(),
            next: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        });
        if inner.draws {
            *lock(&ON_SCREEN) = Some(Arc::downgrade(&inner));
            BAR_DRAWN.store(true, Ordering::Relaxed);
        }
        inner.update(true);
        Progress { inner }
    }

    /// Moves the bar `n` steps on.
    pub fn inc(&self, n: u64) {
        self.inner.position.fetch_add(n, Ordering::Relaxed);
        self.inner.update(false);
    }

    /// Moves the bar to `position`.
    pub fn set(&self, position: u64) {
        self.inner.position.store(position, Ordering::Relaxed);
        self.inner.update(false);
    }

    /// The bar's position.
    pub fn position(&self) -> u64 {
        self.inner.position.load(Ordering::Relaxed)
    }

    /// Ends the bar: its last state is drawn and ends its line, and its position is logged.
    /// Later calls do nothing.
    pub fn finish(&self) {
        self.inner.finish();
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Inner {
    /// Draws and logs, if the last time was long enough ago (or `now`).
    ///
    /// A call between two of those reads the clock and one atomic, and takes no lock.
    fn update(&self, now: bool) {
        let time = Instant::now();
        let since_start = nanos(time.duration_since(self.started));
        if !now && since_start < self.next.load(Ordering::Relaxed) {
            return;
        }
        let mut state = lock(&self.state);
        if state.finished {
            return;
        }
        self.next
            .store(since_start.saturating_add(nanos(EVERY)), Ordering::Relaxed);
        let point = self.to_log(&mut state);
        if self.draws {
            crate::capture::draw_stderr(&format!("\r{}\u{1b}[K", self.line(time)));
            state.shown = true;
        }
        drop(state);
        self.log(point);
    }

    /// The position to log, if it changed since it was last logged.
    fn to_log(&self, state: &mut State) -> Option<u64> {
        let position = self.position.load(Ordering::Relaxed);
        (state.logged != Some(position)).then(|| {
            state.logged = Some(position);
            position
        })
    }

    /// Logs a position, without the bar's lock held: a full ring waits for the pump, and
    /// lines written meanwhile must not wait for it too.
    fn log(&self, point: Option<u64>) {
        if let Some(position) = point {
            // Positions beyond 2^53 lose precision as f64; bars do not get there.
            #[allow(clippy::cast_precision_loss)]
            self.metric.log(position as f64);
        }
    }

    fn finish(&self) {
        let mut state = lock(&self.state);
        if state.finished {
            return;
        }
        state.finished = true;
        let point = self.to_log(&mut state);
        if self.draws {
            let line = self.line(Instant::now());
            crate::capture::draw_stderr(&format!("\r{line}\u{1b}[K\n"));
            crate::capture::capture_stderr(&format!("{line}\n"));
            state.shown = false;
            let mut on_screen = lock(&ON_SCREEN);
            if on_screen
                .as_ref()
                .is_some_and(|bar| std::ptr::eq(bar.as_ptr(), self))
            {
                *on_screen = None;
                BAR_DRAWN.store(false, Ordering::Relaxed);
            }
        }
        drop(state);
        self.log(point);
    }

    /// `name [#####>-----] 12/40 30% 0:00:04 eta 0:00:09`: the bar at `time`.
    fn line(&self, time: Instant) -> String {
        let position = self.position.load(Ordering::Relaxed);
        let elapsed = time.duration_since(self.started);
        render(&self.name, position, self.total, elapsed)
    }

    /// Calls `write` with the bar taken off its line first and drawn again after, when it
    /// is on the screen; under the bar's lock, so that no draw from another thread comes
    /// in between and puts the bar before the text.
    fn around(&self, write: impl FnOnce()) {
        let state = lock(&self.state);
        if !state.shown || state.finished {
            drop(state);
            write();
            return;
        }
        crate::capture::draw_stderr("\r\u{1b}[2K");
        write();
        crate::capture::draw_stderr(&format!("\r{}\u{1b}[K", self.line(Instant::now())));
    }
}

/// The text of a bar.
fn render(name: &str, position: u64, total: u64, elapsed: Duration) -> String {
    let shown = position.min(total);
    // Both are below 2^53 in practice; the ratio only sizes the bar.
    #[allow(clippy::cast_precision_loss)]
    let fraction = if total == 0 {
        1.0
    } else {
        shown as f64 / total as f64
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let filled = ((fraction * WIDTH as f64) as usize).min(WIDTH);
    let mut line = format!("{name} [");
    line.push_str(&"#".repeat(filled));
    if filled < WIDTH {
        line.push('>');
        line.push_str(&"-".repeat(WIDTH - filled - 1));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let percent = (fraction * 100.0) as u32;
    let _ = write!(
        line,
        "] {position}/{total} {percent}% {}",
        format_elapsed(elapsed)
    );
    if shown > 0 && shown < total {
        let left = elapsed.mul_f64((total - shown) as f64 / shown as f64);
        let _ = write!(line, " eta {}", format_elapsed(left));
    }
    line
}

/// Writes `text` with the bar on the screen taken off its line first and drawn again
/// after, when `text` ends a line; otherwise just writes it.
pub(crate) fn around_bar(text: &str, write: impl FnOnce(&str)) {
    let bar = if BAR_DRAWN.load(Ordering::Relaxed) && text.contains('\n') {
        lock(&ON_SCREEN).as_ref().and_then(Weak::upgrade)
    } else {
        None
    };
    match bar {
        Some(bar) => bar.around(|| write(text)),
        None => write(text),
    }
}

/// A duration in whole nanoseconds (saturating: a bar does not run for 584 years).
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_shows_position_share_time_and_what_is_left() {
        assert_eq!(
            render("epochs", 0, 40, Duration::from_secs(0)),
            "epochs [>-----------------------------] 0/40 0% 0:00:00"
        );
        assert_eq!(
            render("epochs", 10, 40, Duration::from_secs(5)),
            "epochs [#######>----------------------] 10/40 25% 0:00:05 eta 0:00:15"
        );
        assert_eq!(
            render("epochs", 40, 40, Duration::from_secs(20)),
            "epochs [##############################] 40/40 100% 0:00:20"
        );
        // Past the end, and a bar of nothing to do.
        assert_eq!(
            render("x", 50, 40, Duration::from_secs(1)),
            "x [##############################] 50/40 100% 0:00:01"
        );
        assert_eq!(
            render("x", 0, 0, Duration::ZERO),
            "x [##############################] 0/0 100% 0:00:00"
        );
    }
}

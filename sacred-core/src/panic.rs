//! Panics in the experiment function: the hook that keeps a panic's message, location and
//! backtrace for the run's `fail_trace`, and the failure a caught panic becomes.

use std::any::Any;
use std::cell::RefCell;
use std::panic::PanicHookInfo;
use std::sync::Once;

use crate::experiment::Failure;

thread_local! {
    /// The last panic on this thread: message, location and backtrace as `fail_trace` lines.
    static PANIC: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// The text of a panic's payload: the `&str` or `String` it was given.
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

/// The failure a caught panic becomes.
pub(crate) fn panic_failure(payload: &(dyn Any + Send)) -> Failure {
    let message =
        payload_text(payload).unwrap_or_else(|| "a panic with a non-text payload".to_owned());
    Failure {
        message: format!("panicked: {message}"),
        causes: Vec::new(),
    }
}

/// Sacred's `fail_trace` for the panic last caught on this thread: the lines the hook kept,
/// or the failure's message when the hook did not see it.
pub(crate) fn take_trace(failure: &Failure) -> Vec<String> {
    PANIC
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| vec![format!("{}\n", failure.message)])
}

/// Installs, once per process, a panic hook that keeps the panic's message, location and
/// backtrace for the run's `fail_trace`, then calls the hook that was there before (which
/// prints the panic, so the output keeps it). A global is unavoidable: panic hooks are.
pub(crate) fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            let message = payload_text(info.payload()).unwrap_or_else(|| "Box<dyn Any>".to_owned());
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_else(|| "an unknown location".to_owned());
            let thread = std::thread::current()
                .name()
                .unwrap_or("<unnamed>")
                .to_owned();
            let backtrace = std::backtrace::Backtrace::force_capture();
            let trace = vec![
                format!("thread '{thread}' panicked at {location}:\n"),
                format!("{message}\n"),
                format!("stack backtrace:\n{backtrace}\n"),
            ];
            PANIC.with(|p| *p.borrow_mut() = Some(trace));
            previous(info);
        }));
    });
}

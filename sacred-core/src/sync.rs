//! Locking shared state without letting one panic poison it for every other thread.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a mutex, recovering the data of a poisoned one: every critical section in this
/// crate is a single push, insert or swap, so a panic elsewhere cannot leave the data
/// inconsistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

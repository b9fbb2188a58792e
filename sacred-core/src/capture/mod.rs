//! Output capture (`-C fd|sys|no`).

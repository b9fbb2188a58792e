//! Host information.

//! The experiment record: sources, dependencies, repositories.

//! Config resolution: defaults, named configs, config files and command-line updates,
//! layered with `figment` so every value knows where it came from.

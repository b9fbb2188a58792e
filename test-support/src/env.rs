//! The environment of the tests that need servers and tools: `scripts/test-env.sh` installs
//! and starts them and exports `SACRED_TEST_MONGO_URL` (a MongoDB server),
//! `SACRED_TEST_VENV` (a Python with incense, pymongo and Python Sacred) and
//! `SACRED_TEST_OMNIBOARD` (the Omniboard executable); `./scripts/test.sh` runs every test
//! in it.

/// What to do when a variable of the test environment is missing or names nothing: the one
/// text every such failure ends with.
pub const HOW_TO: &str = "run the tests through ./scripts/test.sh, or as \
     `scripts/test-env.sh cargo test --workspace --all-features ...`: both install the test \
     tools and start a MongoDB-compatible server (SecantusDB); or point \
     SACRED_TEST_MONGO_URL at a running server (a real mongod works, e.g. \
     mongodb://user:password@host:27017/?authSource=admin)";

/// The value of the environment variable `name` (`what` says what it is, for the message);
/// panics with [`HOW_TO`] when it is unset or empty.
pub fn required(name: &str, what: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value.trim().to_owned(),
        _ => panic!("{name} is not set ({what}): {HOW_TO}"),
    }
}

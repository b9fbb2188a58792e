//! What the tests of sacred's crates share (a dev-dependency only, never published):
//!
//! - [`mongo`]: the MongoDB server of the tests (`SACRED_TEST_MONGO_URL`), per-test database
//!   URLs built for any connection string, and (feature `mongo`) `mongo::TestDb`, a
//!   database of its own for one test, dropped when the test ends;
//! - [`shape`]: [`shape::assert_same_shape`], which compares a record with the one Python
//!   Sacred wrote, key by key and type by type, as JSON or (feature `mongo`) as BSON;
//! - [`fixtures`]: Python Sacred 0.8.7's reference records, `tests/fixtures/sacred-0.8.7`;
//! - [`env`](mod@env): the variables `scripts/test-env.sh` exports, and what to do when one is
//!   missing.
//!
//! A test that needs the test environment and does not find it fails, saying how to get it
//! ([`env::HOW_TO`]): it is never skipped.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod env;
pub mod fixtures;
pub mod mongo;
pub mod shape;

pub use shape::assert_same_shape;

/// `s` percent-encoded for a part of a URL (a user, a password, a query value): every byte
/// but the unreserved characters `A-Z a-z 0-9 - _ . ~`.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

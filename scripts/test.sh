#!/usr/bin/env bash
# Runs every check and test of the project on a fresh machine: formatting, lints, unit,
# UI (trybuild), behaviour and end-to-end tests, the MongoDB and compatibility (Omniboard,
# incense) tests, and the documentation tests. Needs Python 3.11 and Node 20 with npm for
# the test environment (scripts/test-env.sh), which it installs and starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never
jobs="${CARGO_BUILD_JOBS:-2}"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy -j "$jobs" --workspace --all-targets --all-features -- -D warnings

echo "== cargo doc (broken links and missing docs are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -j "$jobs" --no-deps --workspace --all-features

echo "== test environment (scripts/test-env.sh: MongoDB server, incense, Omniboard)"
# Installs the pinned tools into target/test-env, starts a MongoDB server (SecantusDB) on
# 127.0.0.1 unless SACRED_TEST_MONGO_URL names one, exports SACRED_TEST_MONGO_URL,
# SACRED_TEST_VENV and SACRED_TEST_OMNIBOARD, and stops the server when this script ends.
# shellcheck source=scripts/test-env.sh
source scripts/test-env.sh

echo "== cargo test (unit, UI, behaviour, end-to-end, MongoDB and compatibility tests, doc tests)"
# Builds the examples too, with these features, before it runs any test: the end-to-end
# tests run those binaries (and fail, naming the command, when one is missing or stale).
cargo test -j "$jobs" --workspace --all-features

echo "== UI tests of the macros (compiler messages, taken without optional features)"
cargo test -j "$jobs" -p sacred --test ui

echo "== benchmarks build and run briefly (figures: cargo bench, see docs/BENCHMARKS.md)"
SACRED_BENCH_CALLS=2000 cargo test -j "$jobs" --bench logging

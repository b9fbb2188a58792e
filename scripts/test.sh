#!/usr/bin/env bash
# Runs every check and test of the project on a fresh machine: formatting, lints, unit,
# UI (trybuild), behaviour and end-to-end tests, and the documentation tests.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never
jobs="${CARGO_BUILD_JOBS:-2}"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy -j "$jobs" --workspace --all-targets --all-features -- -D warnings

echo "== cargo test (unit, UI, behaviour, end-to-end and doc tests; builds the examples)"
cargo test -j "$jobs" --workspace --all-features

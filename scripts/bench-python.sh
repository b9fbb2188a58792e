#!/usr/bin/env bash
# Python Sacred 0.8.7 beside sacred-rs on the same workloads, in one run: prints a
# Markdown table with the ratios (see scripts/bench_python.py). Uses the test
# environment's virtual environment, which has Sacred 0.8.7 (scripts/test-env.sh
# installs it), and runs the Rust benchmarks with `cargo bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-env.sh
source scripts/test-env.sh
"$SACRED_TEST_VENV" scripts/bench_python.py

#!/usr/bin/env bash
# Runs every benchmark and regenerates the measured sections of docs/BENCHMARKS.md (see
# scripts/benchmarks.py). Starts the test server and uses the test environment's virtual
# environment (Python Sacred 0.8.7), as ./scripts/test.sh does. Takes about half an hour;
# SACRED_BENCH_QUICK=1 runs everything small and leaves the document alone.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-env.sh
source scripts/test-env.sh
"$SACRED_TEST_VENV" scripts/benchmarks.py "$@"

#!/usr/bin/env bash
# The environment of the MongoDB and compatibility tests, installed and started with no
# manual step:
#
# - a Python virtual environment, target/test-env/venv, with the pinned packages of
#   scripts/requirements-test.txt (SecantusDB, a MongoDB-compatible server; incense;
#   Python Sacred), reinstalled only when that file changes;
# - Omniboard 2.16.1, installed with `npm ci` from scripts/omniboard/ into
#   target/test-env/node, again only when the lock changes;
# - unless SACRED_TEST_MONGO_URL is already set (then that server, e.g. a real mongod, is
#   used and none is started): a SecantusDB server on 127.0.0.1 on a free port, with a
#   fresh storage directory, stopped by its PID when the shell that started it exits.
#
# It exports SACRED_TEST_MONGO_URL (mongodb://127.0.0.1:PORT), SACRED_TEST_VENV (the venv's
# python) and SACRED_TEST_OMNIBOARD (the omniboard executable).
#
# Two ways to use it:
#   source scripts/test-env.sh            # from a bash script (scripts/test.sh does): sets
#                                         # the variables and an EXIT trap in that shell
#   scripts/test-env.sh CMD [ARGS...]     # runs CMD in the environment, then stops the
#                                         # server, e.g.
#   scripts/test-env.sh cargo test --workspace --all-features
#                                         # (one test file alone, e.g. `--test compat`,
#                                         # after `cargo build --examples --all-features`)
#
# Needs Python 3.11 (python3.11 or python3 on PATH, or $SACRED_TEST_PYTHON), Node 20 and npm.

_sacred_env_main() {
    local root env_dir
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    env_dir="$root/target/test-env"
    mkdir -p "$env_dir"

    _sacred_env_venv "$root" "$env_dir" || return 1
    _sacred_env_omniboard "$root" "$env_dir" || return 1
    if [[ -n "${SACRED_TEST_MONGO_URL:-}" ]]; then
        echo "== test env: using the MongoDB server at SACRED_TEST_MONGO_URL (none started)"
    else
        _sacred_env_start_mongo "$env_dir" || return 1
    fi
    export SACRED_TEST_VENV SACRED_TEST_OMNIBOARD SACRED_TEST_MONGO_URL
}

_sacred_env_hash() {
    if command -v sha256sum >/dev/null; then
        cat "$@" | sha256sum | cut -d' ' -f1
    else
        cat "$@" | shasum -a 256 | cut -d' ' -f1
    fi
}

_sacred_env_venv() {
    local root="$1" env_dir="$2" venv="$2/venv" reqs="$1/scripts/requirements-test.txt"
    local python="${SACRED_TEST_PYTHON:-}" stamp want
    if [[ -z "$python" ]]; then
        if command -v python3.11 >/dev/null; then python=python3.11; else python=python3; fi
    fi
    if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        echo "test env: $python is not Python 3.11 (it is: $("$python" --version 2>&1));" \
            "set SACRED_TEST_PYTHON to a Python 3.11" >&2
        return 1
    fi
    want="$(_sacred_env_hash "$reqs")-$("$python" -c 'import sys; print(sys.version)' | head -1 | tr ' ' _)"
    stamp="$venv/.sacred-requirements"
    SACRED_TEST_VENV="$venv/bin/python"
    if [[ -x "$SACRED_TEST_VENV" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        echo "== test env: Python packages up to date ($venv)"
        return 0
    fi
    echo "== test env: installing the pinned Python packages into $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv" || return 1
    local pip=("$SACRED_TEST_VENV" -m pip --disable-pip-version-check --no-input --quiet)
    # The build tools first: incense is an sdist, built against them without isolation.
    # shellcheck disable=SC2046
    "${pip[@]}" install --no-deps $(grep -E '^(setuptools|wheel)==' "$reqs") || return 1
    "${pip[@]}" install --no-deps --no-build-isolation -r "$reqs" || return 1
    "$SACRED_TEST_VENV" -W ignore::UserWarning -c 'import incense, sacred, pymongo, secantus' || {
        echo "test env: the Python packages installed but do not import" >&2
        return 1
    }
    [[ -x "$venv/bin/secantusd-py" ]] || {
        echo "test env: SecantusDB installed no secantusd-py" >&2
        return 1
    }
    echo "$want" >"$stamp"
}

_sacred_env_omniboard() {
    local root="$1" node_dir="$2/node" src="$1/scripts/omniboard" stamp want
    command -v npm >/dev/null || {
        echo "test env: npm is not on PATH (Node 20 and npm are needed for Omniboard)" >&2
        return 1
    }
    want="$(_sacred_env_hash "$src/package.json" "$src/package-lock.json")-$(node --version)"
    stamp="$node_dir/.sacred-lock"
    SACRED_TEST_OMNIBOARD="$node_dir/node_modules/.bin/omniboard"
    if [[ -x "$SACRED_TEST_OMNIBOARD" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        echo "== test env: Omniboard up to date ($node_dir)"
        return 0
    fi
    echo "== test env: installing Omniboard into $node_dir (npm ci)"
    mkdir -p "$node_dir"
    rm -f "$stamp"
    cp "$src/package.json" "$src/package-lock.json" "$node_dir/"
    # No install scripts: Omniboard needs none (its one, core-js's, prints a banner).
    (cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || return 1
    [[ -x "$SACRED_TEST_OMNIBOARD" ]] || {
        echo "test env: npm ci installed no $SACRED_TEST_OMNIBOARD" >&2
        return 1
    }
    echo "$want" >"$stamp"
}

# Starts SecantusDB on 127.0.0.1, on a free port, and waits until it answers.
_sacred_env_start_mongo() {
    local env_dir="$1" port data log attempt waited
    for attempt in 1 2 3; do
        port="$("$SACRED_TEST_VENV" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')" || return 1
        data="$(mktemp -d "$env_dir/mongo-data.XXXXXX")" || return 1
        log="$env_dir/secantusd.log"
        _SACRED_ENV_MONGO_DATA="$data"
        "${SACRED_TEST_VENV%/python}/secantusd-py" --host 127.0.0.1 --port "$port" \
            --storage-path "$data/db" --cache-size 256M --log-level WARNING \
            >"$log" 2>&1 </dev/null &
        _SACRED_ENV_MONGO_PID=$!
        trap _sacred_env_stop_mongo EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        echo "== test env: starting SecantusDB on 127.0.0.1:$port (pid $_SACRED_ENV_MONGO_PID, log $log)"
        waited=0
        while ((waited < 60)); do
            if ! kill -0 "$_SACRED_ENV_MONGO_PID" 2>/dev/null; then
                break
            fi
            if "$SACRED_TEST_VENV" -c 'import sys, pymongo
c = pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=1000, connectTimeoutMS=1000)
c.admin.command("ping")' "mongodb://127.0.0.1:$port" 2>/dev/null; then
                export SACRED_TEST_MONGO_URL="mongodb://127.0.0.1:$port"
                echo "== test env: SecantusDB is up after ${waited}s: SACRED_TEST_MONGO_URL=$SACRED_TEST_MONGO_URL"
                return 0
            fi
            sleep 1
            waited=$((waited + 1))
        done
        if kill -0 "$_SACRED_ENV_MONGO_PID" 2>/dev/null; then
            echo "test env: SecantusDB (pid $_SACRED_ENV_MONGO_PID) did not answer on 127.0.0.1:$port within 60s; its log:" >&2
            cat "$log" >&2
            _sacred_env_stop_mongo
            return 1
        fi
        echo "test env: SecantusDB exited before it answered (attempt $attempt); its log:" >&2
        cat "$log" >&2
        _sacred_env_stop_mongo
        # A port taken between choosing and binding it is worth another try; nothing else.
        grep -qi "address already in use" "$log" || return 1
    done
    return 1
}

# Stops the server this script started, by its PID, and removes its storage (its log,
# target/test-env/secantusd.log, stays until the next start).
_sacred_env_stop_mongo() {
    local pid="${_SACRED_ENV_MONGO_PID:-}" i
    if [[ -n "$pid" ]]; then
        _SACRED_ENV_MONGO_PID=
        if kill "$pid" 2>/dev/null; then
            for i in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -9 "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    fi
    if [[ -n "${_SACRED_ENV_MONGO_DATA:-}" ]]; then
        rm -rf "$_SACRED_ENV_MONGO_DATA"
        _SACRED_ENV_MONGO_DATA=
    fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    # Run as a command: set up, then run the arguments in the environment.
    set -euo pipefail
    _sacred_env_main
    if (($# == 0)); then
        echo "test env ready; give a command to run in it (e.g. cargo test --workspace --all-features)" >&2
        exit 0
    fi
    set +e
    "$@"
    status=$?
    exit "$status"
else
    _sacred_env_main || {
        echo "test env: setting up the test environment failed" >&2
        return 1
    }
fi

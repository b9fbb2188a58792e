#!/usr/bin/env python3
"""Loads one run with incense, as its users do, and prints what incense sees as JSON.

    incense_check.py --url mongodb://127.0.0.1:PORT --db NAME --id 1 [--artifact model.bin]

Prints one JSON object:

    {"id": 1, "experiment_name": "golden", "status": "COMPLETED",
     "config": {...}, "result": ..., "info": {...},
     "start_time": "...", "stop_time": "..." (ISO 8601, or null),
     "metrics": {"training.loss": {"index_name": "step", "points": [[0, 1.0], ...]}},
     "artifacts": {"model.bin": {"content_type": ..., "stored_content_type": ...,
                                 "class": "Artifact"}},
     "artifact": {"name": "model.bin", "base64": "...", "text": "..." or null}}

("artifact" only with --artifact; "text" is the bytes as UTF-8 where they decode.)
Exits non-zero with a message on stderr on any failure. Run with the test venv's python
(tests: SACRED_TEST_VENV).
"""

import argparse
import base64
import datetime
import json
import sys
import traceback
import warnings


def fail(message):
    print(f"incense_check: {message}", file=sys.stderr)
    sys.exit(1)


def plain(value):
    """incense's frozen (pyrsistent) and BSON values as JSON values."""
    from pyrsistent import thaw

    value = thaw(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def number(value):
    """A pandas/numpy scalar as a Python int or float."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="MongoDB connection string")
    parser.add_argument("--db", required=True, help="database name")
    parser.add_argument("--id", required=True, type=int, help="the run's _id")
    parser.add_argument("--artifact", help="an artifact whose bytes to print")
    args = parser.parse_args()

    try:
        from incense import ExperimentLoader
    except ImportError as e:
        fail(f"cannot import incense: {e} (run with the test venv's python, see scripts/test-env.sh)")

    try:
        loader = ExperimentLoader(mongo_uri=args.url, db_name=args.db, serverSelectionTimeoutMS=10000)
        exp = loader.find_by_id(args.id)
    except Exception as e:  # incense raises whatever pymongo or its own code raises
        traceback.print_exc()
        fail(f"incense could not load run {args.id} from {args.url}, database {args.db}: {e!r}")

    try:
        out = {
            "id": plain(exp.id),
            "experiment_name": plain(exp.experiment.name),
            "status": plain(exp.status),
            "config": plain(exp.config),
            "result": plain(exp.get("result")),
            "info": plain(exp.get("info")),
            "start_time": plain(exp.get("start_time")),
            "stop_time": plain(exp.get("stop_time")),
            "metrics": {},
            "artifacts": {},
        }
        for name, series in exp.metrics.items():
            out["metrics"][name] = {
                "series_name": series.name,
                "index_name": series.index.name,
                "points": [[number(step), number(value)] for step, value in series.items()],
            }
        for name, artifact in exp.artifacts.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                stored_type = getattr(artifact.file, "content_type", None)
            out["artifacts"][name] = {
                # incense's (None unless it has a class for that content type)
                "content_type": artifact.content_type,
                # the GridFS file's contentType
                "stored_content_type": stored_type,
                "class": type(artifact).__name__,
            }
        if args.artifact is not None:
            if args.artifact not in exp.artifacts:
                fail(f"run {args.id} has no artifact {args.artifact!r}; incense sees {sorted(exp.artifacts)}")
            content = exp.artifacts[args.artifact].content
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            out["artifact"] = {
                "name": args.artifact,
                "base64": base64.b64encode(content).decode("ascii"),
                "text": text,
            }
    except SystemExit:
        raise
    except Exception as e:
        traceback.print_exc()
        fail(f"incense could not read run {args.id}: {e!r}")

    print(json.dumps(out))


if __name__ == "__main__":
    main()

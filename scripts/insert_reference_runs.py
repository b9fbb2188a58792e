#!/usr/bin/env python3
"""Inserts the runs Python Sacred 0.8.7 wrote to MongoDB into a test database.

The reference documents are in tests/fixtures/sacred-0.8.7/mongo (relaxed extended JSON:
runs, metrics, fs.files). The dump holds no fs.chunks, so the GridFS chunks are rebuilt
from the files those records name, which the fixtures also hold: the source
(golden_exp.py) and each run's artifacts (file_storage/<id>/<name>); each file's length
must equal its fs.files record's.

    insert_reference_runs.py --url mongodb://127.0.0.1:PORT --db NAME

Prints a JSON summary ({"runs": [ids], "files": n}); exits non-zero with a message on
failure. Run with the test venv's python (tests: SACRED_TEST_VENV).
"""

import argparse
import json
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sacred-0.8.7"


def fail(message):
    print(f"insert_reference_runs: {message}", file=sys.stderr)
    sys.exit(1)


def load(name):
    from bson import json_util

    path = FIXTURES / "mongo" / f"{name}.json"
    try:
        return json_util.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        fail(f"cannot read {path}: {e}")


def content_of(file_doc):
    """The bytes of the file that an fs.files record stands for."""
    filename = file_doc["filename"]
    if filename.startswith("artifact://runs/"):
        run_id, name = filename[len("artifact://runs/") :].split("/", 1)
        path = FIXTURES / "file_storage" / run_id / name
    else:
        path = FIXTURES / Path(filename).name
    try:
        data = path.read_bytes()
    except OSError as e:
        fail(f"no content for {filename}: {e}")
    if len(data) != file_doc["length"]:
        fail(f"{path} has {len(data)} bytes, its fs.files record says {file_doc['length']}")
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="MongoDB connection string")
    parser.add_argument("--db", required=True, help="database to fill (should be empty)")
    args = parser.parse_args()

    try:
        import pymongo
        from bson.binary import Binary
        from bson.objectid import ObjectId
    except ImportError as e:
        fail(f"{e} (run with the test venv's python, see scripts/test-env.sh)")

    runs, metrics, files = load("runs"), load("metrics"), load("fs.files")
    try:
        client = pymongo.MongoClient(args.url, serverSelectionTimeoutMS=10000)
        db = client[args.db]
        if db.runs.estimated_document_count():
            fail(f"database {args.db} already holds runs")
        chunks = []
        for f in files:
            data = content_of(f)
            size = f["chunkSize"]
            for n, start in enumerate(range(0, len(data), size)):
                chunks.append(
                    {
                        "_id": ObjectId(),
                        "files_id": f["_id"],
                        "n": n,
                        "data": Binary(data[start : start + size]),
                    }
                )
        db["fs.files"].insert_many(files)
        db["fs.chunks"].insert_many(chunks)
        db["fs.files"].create_index([("filename", 1), ("uploadDate", 1)])
        db["fs.chunks"].create_index([("files_id", 1), ("n", 1)], unique=True)
        db.metrics.insert_many(metrics)
        db.runs.insert_many(runs)
    except pymongo.errors.PyMongoError as e:
        fail(f"MongoDB at {args.url}, database {args.db}: {e}")
    print(json.dumps({"runs": [r["_id"] for r in runs], "files": len(files), "chunks": len(chunks)}))


if __name__ == "__main__":
    main()

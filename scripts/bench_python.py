"""Python Sacred 0.8.7 beside sacred-rs, on the same workloads, in one run.

Run by scripts/bench-python.sh, which provides a virtual environment with Sacred 0.8.7
(the test environment's) and builds nothing else: this script runs the Rust benchmarks
with `cargo bench` itself, parses the tables they print, measures the same workloads with
Python Sacred, and prints both with their ratios.

Workloads:
  - logging: `_run.log_scalar("loss", v)` by name, unobserved, 10^6 calls: ns per call;
  - start-up: an experiment with an empty body, unobserved and into file storage, against
    a bare program (python -c pass / the Rust benchmark's bare role): median wall time;
  - end to end: 10^5 and 10^6 points over 10 names into file storage: wall time, peak RSS
    of the process, and every point read back from metrics.json; 10^5 points into
    MongoDB (the test server), wall time and the points stored.
"""

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUNDS = int(os.environ.get("SACRED_BENCH_ROUNDS", "20"))
CALLS = int(os.environ.get("SACRED_BENCH_CALLS", "1000000"))

EXPERIMENT = '''
import sys, time
from sacred import Experiment
ex = Experiment("bench")

@ex.config
def config():
    points = 0
    mode = "empty"

@ex.main
def main(_run, points, mode):
    if mode == "log":
        start = time.perf_counter()
        for i in range(points):
            _run.log_scalar("loss", i * 0.5)
        elapsed = time.perf_counter() - start
        sys.stderr.write("ns-per-call %.1f\\n" % (elapsed * 1e9 / max(points, 1)))
    elif mode == "e2e":
        names = ["m%d" % n for n in range(10)]
        for i in range(points):
            _run.log_scalar(names[i % 10], (i // 10) * 0.5)

if __name__ == "__main__":
    ex.run_commandline()
'''


def python_experiment(directory):
    path = os.path.join(directory, "bench_exp.py")
    with open(path, "w") as f:
        f.write(EXPERIMENT)
    return path


def timed(argv, cwd, env=None):
    """Wall seconds and peak RSS (MiB) of a process."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (argv, proc.stderr))
    return wall, proc.stderr


def peak_rss(argv, cwd):
    """Peak RSS (MiB) of one process, measured by a wrapper so children are apart."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code] + argv, cwd=cwd, check=True,
                         capture_output=True, text=True).stdout
    return int(out.strip()) / 1024.0


def cargo_bench(name, env_extra, features=()):
    env = dict(os.environ, **env_extra)
    argv = ["cargo", "bench", "-j2", "--bench", name] + [
        arg for feature in features for arg in ("--features", feature)]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (" ".join(argv), proc.stderr[-3000:]))
    return proc.stdout


def row(table, *cells):
    """The first row of a Markdown table whose leading cells are `cells`."""
    for line in table.splitlines():
        parts = [p.strip() for p in line.strip().strip("|").split("|")]
        if parts[:len(cells)] == list(cells):
            return parts
    raise SystemExit("no row %s in:\n%s" % (cells, table))


def first_number(text):
    return float(re.match(r"[+]?([\d.]+)", text).group(1))


def main():
    work = tempfile.mkdtemp(prefix="sacred-bench-")
    exp = python_experiment(work)
    py = sys.executable
    results = []

    # Logging by name, unobserved.
    _, err = timed([py, exp, "-u", "with", "mode=log", "points=%d" % CALLS], work)
    py_ns = float(re.search(r"ns-per-call ([\d.]+)", err).group(1))
    logging = cargo_bench("logging", {"SACRED_BENCH_CALLS": str(CALLS)})
    rs_ns = first_number(row(logging, "none (`-u`)", "name", "1")[3])
    results.append(("log_scalar by name, -u (ns per call)", py_ns, rs_ns))

    # Start-up, alternating with a bare program.
    bare, unobserved, files = [], [], []
    for i in range(ROUNDS + 1):
        b, _ = timed([py, "-c", "pass"], work)
        u, _ = timed([py, exp, "-u"], work)
        f, _ = timed([py, exp, "-F", os.path.join(work, "py-runs")], work)
        if i:
            bare.append(b)
            unobserved.append(u)
            files.append(f)
    med = statistics.median
    startup = cargo_bench("startup", {"SACRED_BENCH_ROUNDS": str(ROUNDS)})
    rs_unobserved = first_number(row(startup, "`-u` (no observer)")[2])
    rs_files = first_number(row(startup, "file storage (`-F`)")[2])
    results.append(("start-up over a bare program, -u (ms)",
                    (med(unobserved) - med(bare)) * 1000, rs_unobserved))
    results.append(("start-up over a bare program, file storage (ms)",
                    (med(files) - med(bare)) * 1000, rs_files))

    # End to end into file storage.
    e2e = cargo_bench("end_to_end", {"SACRED_BENCH_MAX_POINTS": "1000000"})
    for points in (100000, 1000000):
        runs = os.path.join(work, "py-e2e-%d" % points)
        argv = [py, exp, "-F", runs, "with", "mode=e2e", "points=%d" % points]
        wall, _ = timed(argv, work)
        metrics = json.load(open(os.path.join(runs, "1", "metrics.json")))
        complete = all(len(metrics.get("m%d" % n, {}).get("steps", [])) == points // 10
                       for n in range(10))
        rss = peak_rss(argv[:3] + [runs + "-rss"] + argv[4:], work)
        rs = row(e2e, str(points), "file storage")
        results.append(("%d points to file storage, wall (s)%s" % (
            points, "" if complete else " [Python lost points]"), wall, float(rs[2])))
        results.append(("%d points to file storage, peak RSS (MiB)" % points,
                        rss, float(rs[3])))

    # End to end into MongoDB (the test server), 10^5 points.
    url = os.environ.get("SACRED_TEST_MONGO_URL")
    if url:
        import pymongo
        host_port = url.split("//", 1)[1].rstrip("/")
        db_name = "sacred_bench_py_%d" % os.getpid()
        points = 100000
        argv = [py, exp, "-m", "%s:%s" % (host_port, db_name), "with", "mode=e2e",
                "points=%d" % points]
        wall, _ = timed(argv, work)
        client = pymongo.MongoClient(url)
        db = client[db_name]
        stored = sum(len(m.get("steps", [])) for m in db.metrics.find({}))
        client.drop_database(db_name)
        client.close()
        rs_e2e = cargo_bench("end_to_end", {"SACRED_BENCH_MAX_POINTS": str(points)},
                             features=("mongo",))
        rs = row(rs_e2e, str(points), "MongoDB")
        results.append(("%d points to MongoDB, wall (s)%s" % (
            points, "" if stored == points else
            " [Python stored %d]" % stored), wall, float(rs[2])))

    print("| workload | Python Sacred 0.8.7 | sacred-rs | ratio |")
    print("|---|---|---|---|")
    for name, python, rust in results:
        ratio = python / rust if rust else float("inf")
        print("| %s | %.1f | %.1f | %.0f× |" % (name, python, rust, ratio))


if __name__ == "__main__":
    main()

"""The race suite's long run: every scenario of tests/races for 50 rounds, with the tally of outcomes.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python bench/races.py [--rounds 50] [-k accept] [--daphne]

Runs `pytest tests/races` (real PostgreSQL: pytest makes its `test_…` database) with
RACE_ROUNDS set (with `--daphne`, through two real Daphne processes on the test database and
Redis, the racing clients on different processes, instead of the in-process API), then prints per scenario the rounds run, how many ended in a wrong final
state (checked through the API and the history) and the status codes each round answered
with, in the order the scenario raced its requests. `make test` runs the same scenarios for
5 rounds. Exit status: pytest's.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("-k", dest="keyword", help="only the scenarios whose test name matches (pytest -k)")
    parser.add_argument("--daphne", action="store_true", help="send the requests to two Daphne processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "races.jsonl"
        command = [sys.executable, "-m", "pytest", "tests/races", "-q", "-p", "no:cacheprovider", "--no-header",
                   "-o", "addopts=", *(["-k", args.keyword] if args.keyword else [])]  # fmt: skip
        env = {**os.environ, "RACE_ROUNDS": str(args.rounds), "RACE_REPORT": str(report),
               **({"RACE_DAPHNE": "1"} if args.daphne else {})}  # fmt: skip
        finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        rows = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    if not rows:
        print(finished.stdout[-3000:], finished.stderr[-3000:])
        return finished.returncode or 1
    width = max(len(row["scenario"]) for row in rows)
    print(f"{'scenario':<{width}}  rounds  wrong  outcomes (status codes per round: count)")
    for row in rows:
        outcomes = ", ".join(f"[{key}]: {count}" for key, count in row["outcomes"].items())
        print(f"{row['scenario']:<{width}}  {row['rounds']:>6}  {row['wrong']:>5}  {outcomes}")
    for row in rows:
        if row["first_wrong"]:
            print(f"\n{row['scenario']}, first wrong round:\n  {row['first_wrong'].strip()[:600]}")
    print("\n" + finished.stdout.strip().splitlines()[-1] if finished.stdout.strip() else "")
    return finished.returncode


if __name__ == "__main__":
    sys.exit(main())

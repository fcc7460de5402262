"""Benchmark: schemathesis over every operation of the API, a long run (the test suite runs a short one).

    python bench/fuzz.py [--examples 100] [--seed 16] [--only /api/boxes/] \
        [--database postgres://postgres@127.0.0.1:5432/h_fuzz_bench]

Creates a throwaway database (`test_<name>`, dropped at the end), seeds a project that a manager
works in, and runs tests/fuzzing.py: every operation of /api/schema/, half positive and half
negative cases, half with seeded ids in the path. Prints operations covered, cases generated,
server errors (target: 0) and responses whose status the schema does not declare (target: 0).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="cases per operation")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--only", help="fuzz only the operations whose path contains this")
    default_database = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/h_fuzz_bench")
    parser.add_argument("--database", default=default_database)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitl_project.settings")
    import django

    django.setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # every 4xx is expected; a 500 still logs
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import setup_test_environment

    from tests.fuzzing import fuzz

    setup_test_environment()
    media = tempfile.TemporaryDirectory(prefix="fuzz-media-")
    settings.MEDIA_ROOT = Path(media.name)
    name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    started = time.monotonic()
    try:
        with transaction.atomic():
            tally = fuzz(max_examples=args.examples, seed=args.seed, only=args.only)
            transaction.set_rollback(True)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        media.cleanup()
    elapsed = time.monotonic() - started
    print(f"operations covered:   {tally.operations}")
    print(f"cases generated:      {tally.cases}  ({args.examples} per operation, seed {args.seed}, {elapsed:.0f} s)")
    print(f"server errors:        {len(tally.server_errors)}  (target 0)")
    print(f"undeclared statuses:  {len(tally.failures)}  (target 0)")
    for line in sorted(set(tally.server_errors + tally.failures))[:50]:
        print("  ", line)
    return 1 if tally.server_errors or tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())

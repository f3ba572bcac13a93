"""What the bench scripts share about where they run, so the test suite can run each one in
its quick mode (tests/test_bench.py):

- `BENCH_DATABASE`: the database a script drops and re-creates (default: its own name);
- `BENCH_TEMPLATE`: an already migrated database to copy it from (skips `migrate`);
- `BENCH_REDIS_URL`: the Redis database it uses (default: its own);
- `BENCH_STATIC_READY=true`: `collectstatic` has run already.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import psycopg

PG = "postgres://postgres@127.0.0.1:5432"
QUICK = "--quick" in sys.argv
# The web server's processes: as production runs it, or one in quick mode (the test suite
# runs the scripts on a busy machine; a second worker only adds start-up time there).
WORKERS = "1" if QUICK else "2"


def database_name(default: str) -> str:
    return os.environ.get("BENCH_DATABASE", default)


def redis_url(default: str) -> str:
    return os.environ.get("BENCH_REDIS_URL", default)


def fresh_database(name: str, migrate: Callable[[], object]) -> None:
    """Drop and create `name`, then migrate it (or copy the migrated BENCH_TEMPLATE)."""
    template = os.environ.get("BENCH_TEMPLATE")
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    if not template:
        migrate()


def collectstatic(run: Callable[[], object]) -> None:
    if os.environ.get("BENCH_STATIC_READY") != "true":
        run()

"""Every script in bench/ still runs: each in its quick mode (tiny counts, seconds), as a
subprocess against this run's PostgreSQL and Redis, printing its figures. Nothing is timed
here; the figures are only checked to be there.

The scripts start the production setup themselves (uvicorn, Celery workers); they copy a
database migrated once per test session (BENCH_TEMPLATE) instead of migrating each time."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
# Each script with the lines its figures are printed on.
SCRIPTS = {
    "api_list.py": ["GET /api/v1/incidents/?status=open", "goal (list p95",
                    "the list's steps in-process", "-- SELECT"],  # with --explain: profile_list
    "alert_ingest.py": ["POST /v2/enqueue", "alerts/s:", "counts exact: yes"],
    "room_fanout.py": ["N=5: joined", "goal (p99"],
    "paging_latency.py": ["alert-to-first-page", "duplicates 0   missing 0"],
    "oncall_shifts.py": ["GET /api/v1/schedules/{id}/shifts/ (90 days, worst)",
                         "GET /incidents/ (a member of Small)", "goal (90 days"],
}  # fmt: skip

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the benchmarks run on PostgreSQL (set DATABASE_URL)",
)


def manage(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "manage.py", *args]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def bench_env() -> dict[str, str]:
    """A migrated template database named after this run's database, and static files."""
    base = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    template = f"{base}_benchtpl"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone():
            conn.execute(f"CREATE DATABASE {template}")
    env = {**os.environ, "DATABASE_URL": f"{PG}/{template}", "DEBUG": "true"}
    manage(env, "migrate", "--noinput")  # quick when the template is already up to date
    production = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50)}
    manage({**env, **production}, "collectstatic", "--noinput")  # STATIC_ROOT is production's
    return {
        **os.environ,
        "BENCH_DATABASE": f"{base}_bench",
        "BENCH_TEMPLATE": template,
        "BENCH_REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "BENCH_STATIC_READY": "true",
    }


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_bench_script_runs_in_quick_mode_and_prints_its_figures(script, bench_env):
    command = [sys.executable, f"bench/{script}", "--quick"]
    if script == "api_list.py":
        command.append("--explain")
    done = subprocess.run(command, cwd=ROOT, env=bench_env, capture_output=True, text=True,
                          timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    for line in SCRIPTS[script]:
        assert line in done.stdout, done.stdout[-3000:]

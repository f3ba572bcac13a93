"""Latency of the incident list and timeline API against 100k incidents on PostgreSQL.

Seeds its own database `keel_bench` (100,000 incidents, 1,000,000 timeline events), starts
the production web server as the Procfile does, and times, interleaved from one keep-alive
client: GET /healthz, GET /api/v1/incidents/?status=open, GET /api/v1/incidents/INC-n/timeline/.
Goal: the list's p95 <= 30 ms and within 3x of /healthz's p95. When the list misses it (or
with --explain) bench/profile_list.py shows where its time goes.

    .venv/bin/python bench/api_list.py [--reuse] [--explain] [--requests 1000] [--quick]

--quick seeds 500 incidents and times 20 requests each: it checks the script still runs.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import quick

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG = "postgres://postgres@127.0.0.1:5432"
DB_NAME = quick.database_name("keel_bench")
EMAIL = "bench@example.com"
QUICK = "--quick" in sys.argv
INCIDENTS = 500 if QUICK else 100_000
WARM = 5 if QUICK else 50  # warm-up rounds
EVENTS_PER_INCIDENT = 10
TEAMS = 4  # the bench user belongs to team 1 only; 5% of incidents are private
GOAL_MS, GOAL_RATIO = 30.0, 3.0
LABELS = {
    "healthz": "GET /healthz",
    "list": "GET /api/v1/incidents/?status=open",
    "timeline": "GET /api/v1/incidents/INC-n/timeline/",
}

SEED_SQL = f"""
SET synchronous_commit = off;
INSERT INTO accounts_team (name, slug, description)
  SELECT 'Team ' || t, 'team-' || t, '' FROM generate_series(1, {TEAMS}) t;
INSERT INTO accounts_user (password, is_superuser, email, display_name, time_zone,
                           is_active, is_staff, date_joined)
  VALUES ('!', false, '{EMAIL}', 'Bench', 'UTC', true, false, now()),
         ('!', false, 'other@example.com', 'Other', 'UTC', true, false, now());
INSERT INTO accounts_membership (role, joined_at, user_id, team_id)
  SELECT 'responder', now(), u.id, t.id FROM accounts_user u, accounts_team t
  WHERE u.email = '{EMAIL}' AND t.slug = 'team-1';
INSERT INTO incidents_service (name, description, created_at, team_id)
  SELECT 'service-' || s, '', now(), (SELECT min(id) FROM accounts_team) + s % {TEAMS}
  FROM generate_series(1, 8) s;
INSERT INTO incidents_incident (number, title, summary, severity, status, private, labels,
    detected_at, acknowledged_at, resolved_at, created_at, updated_at, last_seq, team_id,
    access_version)
  SELECT g, 'Incident ' || g, 'Something broke.',
    CASE WHEN g % 20 = 0 THEN 'SEV1' WHEN g % 20 < 4 THEN 'SEV2'
         WHEN g % 20 < 14 THEN 'SEV3' ELSE 'SEV4' END,
    CASE WHEN g % 5 = 0 THEN (ARRAY['triggered', 'investigating', 'identified',
                                    'monitoring'])[1 + (g / 5) % 4]
         WHEN g % 25 = 1 THEN 'declined' ELSE 'resolved' END,
    g % 40 IN (10, 13), '{{}}'::jsonb, d, CASE WHEN g % 20 <> 0 THEN d + interval '3 minutes' END,
    CASE WHEN g % 5 <> 0 THEN d + interval '2 hours' END, d, d, {EVENTS_PER_INCIDENT},
    (SELECT min(id) FROM accounts_team) + g % {TEAMS}, 0
  FROM generate_series(1, {INCIDENTS}) g,
       LATERAL (SELECT now() - ({INCIDENTS} - g) * interval '5 minutes' AS d) AS t;
INSERT INTO incidents_incident_services (incident_id, service_id)
  SELECT i.id, s.id FROM incidents_incident i JOIN incidents_service s
    ON s.name = 'service-' || (1 + i.number % 8) OR (i.number % 3 = 0 AND s.name = 'service-8');
INSERT INTO incidents_roleassignment (role, assigned_at, incident_id, user_id)
  SELECT 'commander', i.detected_at, i.id, u.id FROM incidents_incident i JOIN accounts_user u
    ON u.email = CASE WHEN i.number % 7 = 0 THEN '{EMAIL}' ELSE 'other@example.com' END;
INSERT INTO incidents_timelineevent (seq, kind, occurred_at, created_at, body, data, incident_id,
                                     author_id)
  SELECT s, CASE WHEN s = 1 OR s % 3 = 0 THEN 'status' ELSE 'note' END,
    i.detected_at + s * interval '1 minute', i.detected_at + s * interval '1 minute',
    'Event ' || s, '{{}}'::jsonb, i.id, (SELECT id FROM accounts_user WHERE email = '{EMAIL}')
  FROM incidents_incident i, generate_series(1, {EVENTS_PER_INCIDENT}) s;
UPDATE incidents_refcounter SET last_value = {INCIDENTS} WHERE name = 'incident';
"""  # noqa: S608  (only this file's own constants are interpolated)


def bench_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": quick.redis_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5")),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DJANGO_SETTINGS_MODULE": "keel.settings",
    }


def manage(*args: str) -> str:
    done = subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def seeded() -> bool:
    try:
        with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM incidents_incident),"
                " (SELECT count(*) FROM incidents_timelineevent)"
            ).fetchone()
    except psycopg.Error:  # no database yet, or not migrated
        return False
    return row == (INCIDENTS, INCIDENTS * EVENTS_PER_INCIDENT)


def prepare_database(reuse: bool) -> None:
    if reuse and seeded():
        print(f"reusing {DB_NAME}: already seeded")
        manage("migrate", "--noinput")
        return
    quick.fresh_database(DB_NAME, lambda: manage("migrate", "--noinput"))
    started = time.perf_counter()
    with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
        conn.execute(SEED_SQL)  # several statements: allowed without parameters
    with psycopg.connect(f"{PG}/{DB_NAME}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"seeded {DB_NAME} in {time.perf_counter() - started:.1f} s")


def public_numbers() -> list[int]:
    """Incidents anyone signed in may see: the timeline requests pick among these."""
    with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
        rows = conn.execute("SELECT number FROM incidents_incident WHERE NOT private")
        return [row[0] for row in rows.fetchall()]


def start_server(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [str(BIN / "uvicorn"), "keel.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", quick.WORKERS]
    with log.open("wb") as out:  # the child keeps its own handle
        server = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return server, f"http://127.0.0.1:{port}"


def wait_healthy(client: httpx.Client, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit(f"the server did not answer /healthz within 60 s:\n{log.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # uvicorn and its two workers, our group only
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


def measure(client: httpx.Client, numbers: list[int], n: int) -> dict[str, list[float]]:
    """Interleaved, in a random order each round; the first 50 rounds are the warm-up.
    Only the request is timed; each response is checked after the clock stops."""
    expected_results = {"healthz": None, "list": 50, "timeline": EVENTS_PER_INCIDENT}
    times: dict[str, list[float]] = {name: [] for name in expected_results}
    for round_ in range(WARM + n):
        for name in random.sample(list(expected_results), 3):
            url = {
                "healthz": "/healthz",
                "list": "/api/v1/incidents/?status=open",
                "timeline": f"/api/v1/incidents/INC-{random.choice(numbers)}/timeline/",
            }[name]
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                sys.exit(f"{url} answered {response.status_code}: {response.text[:300]}")
            expected = expected_results[name]
            if expected is not None and len(response.json()["results"]) != expected:
                sys.exit(f"{url} did not return {expected} results")
            if round_ >= WARM:
                times[name].append(elapsed)
    return times


def sessions_opened() -> int:
    """PostgreSQL sessions ever opened on keel_bench: shows whether the server reuses them."""
    with psycopg.connect(f"{PG}/postgres") as conn:
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (DB_NAME,)
        ).fetchone()
    return int(row[0]) if row else 0


def percentile(ms: list[float], q: int) -> float:
    return statistics.quantiles(ms, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep keel_bench if seeded")
    parser.add_argument("--explain", action="store_true", help="always run profile_list.py")
    parser.add_argument("--requests", type=int, default=1000, help="timed requests each")
    parser.add_argument("--quick", action="store_true", help="500 incidents, 20 requests")
    args = parser.parse_args()
    if args.quick:
        args.requests = 20
    os.environ.update(bench_env())
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "unknown",
    )  # fmt: skip
    print(f"date {datetime.date.today()}  nproc {len(os.sched_getaffinity(0))}  cpu {cpu}")
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")

    prepare_database(args.reuse)
    token = manage("issue_token", EMAIL, "--name", "bench").strip()
    quick.collectstatic(lambda: manage("collectstatic", "--noinput"))
    numbers = public_numbers()
    log = Path(tempfile.mkstemp(prefix="keel-bench-", suffix=".log")[1])
    server, base_url = start_server(log)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            wait_healthy(client, server, log)
            before = sessions_opened()
            times = measure(client, numbers, args.requests)
            opened = sessions_opened() - before
    finally:
        stop_server(server)
        log.unlink(missing_ok=True)

    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")
    api_requests = 2 * (WARM + args.requests)  # list and timeline, warm-up included
    print(f"PostgreSQL sessions opened by the server: {opened} for {api_requests} API requests")
    trivial_p95 = percentile(times["healthz"], 95)
    print(f"\n{args.requests} requests each, after {WARM} warm-up; ms")
    print(f"{'endpoint':40} {'p50':>7} {'p95':>7} {'p99':>7} {'p95/healthz':>12}")
    for name, label in LABELS.items():
        p50, p95, p99 = (percentile(times[name], q) for q in (50, 95, 99))
        print(f"{label:40} {p50:7.1f} {p95:7.1f} {p99:7.1f} {p95 / trivial_p95:11.1f}x")
    list_p95 = percentile(times["list"], 95)
    met = list_p95 <= GOAL_MS and list_p95 <= GOAL_RATIO * trivial_p95
    print(f"\ngoal (list p95 <= {GOAL_MS:.0f} ms and <= {GOAL_RATIO:.0f}x healthz): "
          f"{'met' if met else 'MISSED'}")  # fmt: skip
    if args.explain or not met:  # where the time goes: steps in-process, EXPLAIN ANALYZE
        profile = [str(BIN / "python"), str(ROOT / "bench" / "profile_list.py")]
        subprocess.run(profile + (["--quick"] if args.quick else []), check=True)


if __name__ == "__main__":
    main()

"""Inbound-alert ingestion: 8 concurrent senders post 20,000 PagerDuty Events API v2 events
over 1,000 dedup keys to the production setup; sustained alerts/s and latency, beside a
trivial endpoint's rate measured the same way in the same run; then the stored counts are
checked to add up exactly.

Starts, as the Procfile does, uvicorn with 2 workers (DEBUG=false) and a Celery worker, on
its own PostgreSQL database `keel_alert_bench` and Redis db 7. Goal: >= 1,000 alerts/s and
>= 40% of the trivial endpoint's rate.

    .venv/bin/python bench/alert_ingest.py [--events 20000] [--keys 1000] [--senders 8] [--quick]

--quick sends 100 events over 10 keys after 100 /healthz: it checks the script still runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
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
import redis

ROOT = Path(__file__).resolve().parent.parent
BIN, PG = ROOT / ".venv" / "bin", "postgres://postgres@127.0.0.1:5432"
DB_NAME = quick.database_name("keel_alert_bench")
REDIS_URL = quick.redis_url("redis://127.0.0.1:6379/7")
GOAL_RATE, GOAL_RATIO = 1000.0, 0.40
SEVERITIES = ["critical", "error", "warning", "info"]
SETUP = """
from accounts.models import Team
from incidents.models import Service
from incidents.alerts.models import Integration
team = Team.objects.create(name="Bench", slug="bench")
service = Service.objects.create(name="checkout", team=team)
integration = Integration(service=service, kind="pagerduty", auto_resolve=False)
key = integration.new_key()
integration.save()
print(key)
"""


def bench_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        # The per-integration limit is a product setting (6,000/min by default); here the
        # point is the ceiling, so it is lifted. The limiter still runs (and costs its
        # Redis round trips) on every request.
        "ALERTS_RATE_LIMIT_PER_MINUTE": "100000000",
        "DJANGO_SETTINGS_MODULE": "keel.settings",
    }


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own handle
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the process and its children: ours only
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def event(routing_key: str, n: int, keys: int) -> bytes:
    dedup = n % keys
    return json.dumps({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": f"bench-{dedup}",
        "payload": {
            "summary": f"Error rate high on host-{dedup}",
            "source": f"host-{dedup}.example.com",
            "severity": SEVERITIES[dedup % 4],
            "custom_details": {"n": str(n)},
        },
        "client": "alert_ingest.py",
    }).encode()  # fmt: skip


async def drive(base_url: str, senders: int, requests: list[tuple[str, str, bytes | None]]):
    """`senders` concurrent keep-alive connections work through `requests` in order; returns
    (wall seconds, per-request ms, status counts)."""
    queue: asyncio.Queue = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    headers = {"Content-Type": "application/json"}

    async def sender(client: httpx.AsyncClient) -> None:
        while True:
            try:
                method, path, body = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            response = await client.request(method, path, content=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(senders)))
        wall = time.perf_counter() - started
    return wall, latencies, statuses


def percentile(ms: list[float], q: int) -> float:
    return statistics.quantiles(ms, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--keys", type=int, default=1_000)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--trivial", type=int, default=10_000, help="GET /healthz requests")
    parser.add_argument("--quick", action="store_true", help="100 events, 10 keys")
    args = parser.parse_args()
    if args.quick:
        args.events, args.keys, args.senders, args.trivial = 100, 10, 2, 100
    env = bench_env()
    print(f"date {datetime.date.today()}  nproc {len(os.sched_getaffinity(0))}")
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")

    quick.fresh_database(DB_NAME, lambda: manage(env, "migrate", "--noinput"))
    redis.Redis.from_url(REDIS_URL).flushdb()
    quick.collectstatic(lambda: manage(env, "collectstatic", "--noinput"))
    routing_key = manage(env, "shell", "-c", SETUP).strip().splitlines()[-1]

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    logs = [Path(tempfile.mkstemp(prefix=f"keel-alert-{n}-", suffix=".log")[1]) for n in "wc"]
    web = start([str(BIN / "uvicorn"), "keel.asgi:application", "--host", "127.0.0.1",
                 "--port", str(port), "--workers", quick.WORKERS], env, logs[0])  # fmt: skip
    worker = start([str(BIN / "celery"), "-A", "keel", "worker", "--concurrency", "1",
                    "--loglevel", "WARNING"], {**env, "DB_POOL": "false"}, logs[1])  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if web.poll() is not None:
                sys.exit(f"the server exited:\n{logs[0].read_text()[-3000:]}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        warm = [("GET", "/healthz", None)] * (10 if args.quick else 500)
        asyncio.run(drive(base_url, args.senders, warm))
        trivial = asyncio.run(
            drive(base_url, args.senders, [("GET", "/healthz", None)] * args.trivial)
        )
        events = [("POST", "/v2/enqueue", event(routing_key, n, args.keys))
                  for n in range(args.events)]  # fmt: skip
        alerts = asyncio.run(drive(base_url, args.senders, events))
    finally:
        stop(web)
        stop(worker)
        for log in logs:
            log.unlink(missing_ok=True)
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")

    with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
        stored, occurrences = conn.execute(
            "SELECT count(*), coalesce(sum(count), 0) FROM alerts_alert"
        ).fetchone()
        incidents = conn.execute("SELECT count(*) FROM incidents_incident").fetchone()[0]
        events_logged = conn.execute("SELECT count(*) FROM incidents_timelineevent").fetchone()[0]

    print(f"\n{args.senders} concurrent senders, keep-alive; ms")
    print(f"{'':34} {'requests':>9} {'per s':>8} {'p50':>7} {'p99':>7}  answers")
    rates = {}
    for name, (wall, ms, statuses) in (("GET /healthz", trivial), ("POST /v2/enqueue", alerts)):
        ok = sum(n for code, n in statuses.items() if code < 300)
        rates[name] = ok / wall
        print(f"{name:34} {len(ms):9d} {rates[name]:8.0f} {percentile(ms, 50):7.1f} "
              f"{percentile(ms, 99):7.1f}  {dict(sorted(statuses.items()))}")  # fmt: skip
    accepted = alerts[2].get(202, 0)
    ratio = rates["POST /v2/enqueue"] / rates["GET /healthz"]
    print(f"\nalerts/s: {rates['POST /v2/enqueue']:.0f} ({ratio:.0%} of /healthz's rate)")
    print(f"stored alerts: {stored} (expected {args.keys}); occurrence counts add up to "
          f"{occurrences} (accepted {accepted}); incidents {incidents}; timeline events "
          f"{events_logged}")  # fmt: skip
    exact = stored == args.keys and occurrences == accepted
    print(f"counts exact: {'yes' if exact else 'NO'}")
    met = rates["POST /v2/enqueue"] >= GOAL_RATE and ratio >= GOAL_RATIO
    print(f"goal (>= {GOAL_RATE:.0f} alerts/s and >= {GOAL_RATIO:.0%} of /healthz): "
          f"{'met' if met else 'MISSED'}")  # fmt: skip
    if not exact:
        sys.exit(1)


if __name__ == "__main__":
    main()

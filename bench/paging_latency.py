"""Paging latency and exactness with the production setup on loopback.

Starts its own database `keel_bench_paging`, the web server as the Procfile does (uvicorn,
2 workers), a paging worker as the Procfile does (prefork, `-Q paging`), and a recording
webhook receiver. Triggers N incidents through PagerDuty's Events API v2 (`POST
/v2/enqueue`, a `critical` trigger with its own dedup key each: a SEV1 alert), each paging
a two-step policy (step 2 one paging "minute" after step 1; PAGING_MINUTE_SECONDS=1 here),
and reports:

- alert-to-first-page p50/p99 (the POST's start to the step-1 page's arrival);
- step timing error p99 (step 2's arrival minus when it was due);
- duplicate pages (a (incident, step) seen under two delivery ids, or one id twice) and
  missing pages (expected 2 per incident): both must be 0;
- floors measured in the same run: GET /healthz, and a bare Celery round trip (a task on
  the paging queue that posts to the receiver).

    .venv/bin/python bench/paging_latency.py [--incidents 200] [--quick]

--quick pages 5 incidents: it checks the script still runs.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import quick

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG = "postgres://postgres@127.0.0.1:5432"
DB_NAME = quick.database_name("keel_bench_paging")
MINUTE_SECONDS = 1.0
sys.path.insert(0, str(ROOT))


class Recorder:
    """A webhook receiver that notes when each request arrived (monotonic clock and wall)."""

    def __init__(self) -> None:
        self.pages: list[tuple[float, float, dict, str]] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived, wall = time.perf_counter(), time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with recorder.lock:
                    recorder.pages.append(
                        (arrived, wall, json.loads(body), self.headers.get("X-Keel-Delivery", ""))
                    )
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": quick.redis_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")),
        "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0", "DJANGO_SETTINGS_MODULE": "keel.settings",
        "OUTBOUND_ALLOW_PRIVATE": "true", "PAGING_MINUTE_SECONDS": str(MINUTE_SECONDS),
        "DB_POOL": "false",
    }  # fmt: skip


def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the process and its children, our group only
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="5 incidents")
    args = parser.parse_args()
    if args.quick:
        args.incidents = 5
    os.environ.update(env())
    quick.fresh_database(DB_NAME, lambda: subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True
    ))  # fmt: skip

    import django

    django.setup()
    from accounts.models import Membership, Role, Team, User
    from incidents.alerts.models import Alert, Integration, Kind
    from incidents.models import Service
    from incidents.paging.models import (
        ContactMethod,
        Escalation,
        EscalationPolicy,
        EscalationStep,
        ServicePaging,
    )
    from keel.celery import app as celery_app

    recorder = Recorder()
    team = Team.objects.create(name="Bench", slug="bench")
    people = []
    for name in ("first", "second"):
        person = User.objects.create_user(f"{name}@example.com", secrets.token_urlsafe(12))
        Membership.objects.create(team=team, user=person, role=Role.RESPONDER)
        people.append(person)
    for person in people:
        ContactMethod.objects.create(user=person, kind="webhook", address=f"{recorder.url}/p")
    policy = EscalationPolicy.objects.create(name="Bench", team=team)
    for k, person in enumerate(people):
        EscalationStep.objects.create(policy=policy, position=k, delay_minutes=1,
                                      targets=[{"user": person.pk}])  # fmt: skip
    service = Service.objects.create(name="bench", team=team)
    ServicePaging.objects.create(service=service, policy=policy)
    integration = Integration(service=service, kind=Kind.PAGERDUTY, name="bench")
    routing_key = integration.new_key()
    integration.save()
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_declare("paging", durable=True)
        connection.default_channel.queue_purge("paging")

    logs = ROOT / "var"
    logs.mkdir(exist_ok=True)
    port = free_port()
    web = start([str(BIN / "uvicorn"), "keel.asgi:application", "--host", "127.0.0.1", "--port",
                 str(port), "--workers", quick.WORKERS], logs / "bench-paging-web.log")  # fmt: skip
    worker = start([str(BIN / "celery"), "-A", "keel", "worker", "-Q", "paging", "-n",
                    "bench-paging@%h", "--concurrency", "2", "--loglevel", "WARNING", "-I",
                    "tests.chat.probe_tasks"], logs / "bench-paging-worker.log")  # fmt: skip
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                sys.exit("the web server did not start; see var/bench-paging-web.log")
            time.sleep(0.2)
        # Floors: the trivial endpoint, and a bare Celery round trip through the paging queue.
        healthz, celery_trip = [], []
        for _ in range(50):
            started = time.perf_counter()
            client.get("/healthz")
            healthz.append(time.perf_counter() - started)
        probes = f"{recorder.url}/probe"
        for _ in range(30):
            seen = len(recorder.pages)
            started = time.perf_counter()
            celery_app.send_task("tests.probe", args=[probes], queue="paging")
            while len(recorder.pages) == seen:
                time.sleep(0.001)
            celery_trip.append(recorder.pages[-1][0] - started)
        recorder.pages.clear()

        sent: dict[str, float] = {}  # dedup key -> when its alert was posted
        for n in range(args.incidents):
            key = f"bench-{n}"
            event = {"routing_key": routing_key, "event_action": "trigger", "dedup_key": key,
                     "payload": {"summary": f"Bench alert {n}", "source": "bench",
                                 "severity": "critical"}}  # fmt: skip
            started = time.perf_counter()
            answer = client.post("/v2/enqueue", json=event)
            if answer.status_code != 202:
                sys.exit(f"/v2/enqueue answered {answer.status_code}: {answer.text}")
            sent[key] = started
            time.sleep(0.02)
        expected = 2 * args.incidents
        deadline = time.monotonic() + 120
        while len(recorder.pages) < expected and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3 * MINUTE_SECONDS)  # anything extra (a duplicate) would arrive by now

        first, error = [], []
        by_step: dict[tuple[str, int], set[str]] = {}
        ids: list[str] = []
        posted = {
            f"INC-{a.incident.number}": sent[a.dedup_key]
            for a in Alert.objects.select_related("incident")
        }
        due = {
            f"INC-{e.incident.number}": e.started_at
            for e in Escalation.objects.select_related("incident")
        }
        for arrived, wall, page, delivery in recorder.pages:
            ref, step = page["incident"]["ref"], page["step"]
            by_step.setdefault((ref, step), set()).add(delivery)
            ids.append(delivery)
            if step == 1:
                first.append(arrived - posted[ref])
            else:
                step_due = due[ref] + timedelta(seconds=MINUTE_SECONDS)
                error.append(wall - step_due.timestamp())
        duplicates = sum(len(v) - 1 for v in by_step.values()) + (len(ids) - len(set(ids)))
        missing = expected - len(by_step)
        ms = 1000
        print(f"incidents {args.incidents}, pages expected {expected}, received {len(ids)}")
        print(f"alert-to-first-page    p50 {pct(first, 50) * ms:7.1f} ms  p99 "
              f"{pct(first, 99) * ms:7.1f} ms   (goal p99 <= 1000 ms)")  # fmt: skip
        print(f"step timing error      p50 {pct(error, 50) * ms:7.1f} ms  p99 "
              f"{pct(error, 99) * ms:7.1f} ms   (goal p99 <= 2000 ms)")  # fmt: skip
        print(f"duplicates {duplicates}   missing {missing}   (both must be 0)")
        print(f"floor: GET /healthz    p50 {statistics.median(healthz) * ms:7.1f} ms  p99 "
              f"{pct(healthz, 99) * ms:7.1f} ms")  # fmt: skip
        print(f"floor: Celery round trip p50 {statistics.median(celery_trip) * ms:5.1f} ms  p99 "
              f"{pct(celery_trip, 99) * ms:7.1f} ms")  # fmt: skip
    finally:
        client.close()
        stop(worker)
        stop(web)


if __name__ == "__main__":
    main()

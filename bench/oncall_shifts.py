"""On-call computation at the limits: the worst schedule the API accepts, asked for 90 days.

Seeds its own database `keel_oncall_bench`: team "Big" has 100 people and one schedule at
every limit (20 layers of 1-hour shifts from 1 January 1970 in America/New_York, each with 14
restriction windows, every layer handing off at its own minute so nothing is shared); team
"Small" has one weekly schedule. Starts the production web server (uvicorn, 2 workers,
`DEBUG=false`) and times, interleaved from one keep-alive client: `GET /healthz`; the big
schedule's `GET /api/v1/schedules/{id}/shifts/` over 90 days; the incident list page of a
member of Big (its on-call panel reads the big schedule); the big schedule's calendar feed;
the personal feed of someone in every layer; and the incident list page of a member of
Small (another team: it should cost what a page costs, whatever Big's schedule is).
Goal: the 90-day shifts p95 <= 500 ms.

    .venv/bin/python bench/oncall_shifts.py [--rounds 20] [--quick]

--quick seeds a small schedule (3 layers, 10 people) and times 3 rounds: it checks the
script still runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import quick
import redis
from api_list import BIN, ROOT, percentile, start_server, stop_server, wait_healthy
from api_list import bench_env as server_env

DB_NAME = quick.database_name("keel_oncall_bench")
REDIS_URL = quick.redis_url("redis://127.0.0.1:6379/8")
GOAL_MS = 500.0
SETUP = """
LAYERS, PEOPLE, RESTRICTIONS = {sizes}
import json
from datetime import date, time
from django.test import Client
from accounts.models import Membership, Team, User
from incidents.oncall.models import Layer, LayerParticipant, PersonalCalendar, Schedule
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
big = Team.objects.create(name="Big", slug="big")
small = Team.objects.create(name="Small", slug="small")
people = User.objects.bulk_create(
    User(email=f"p{n}@example.com", display_name=f"P{n}", password="!") for n in range(PEOPLE))
Membership.objects.bulk_create(Membership(team=big, user=p, role="responder") for p in people)
other = User.objects.create(email="other@example.com", display_name="Other", password="!")
Membership.objects.create(team=small, user=other, role="responder")
worst = Schedule.objects.create(team=big, name="Worst", time_zone="America/New_York")
for position in range(LAYERS):
    layer = Layer.objects.create(
        schedule=worst, position=position, name=f"L{position}", shift_length=1,
        shift_unit="hours", handoff_time=time(0, position), start_date=date(1970, 1, 1),
        restrictions=[{"days": DAYS[(n + position) % 7:] + DAYS[:(n + position) % 7][:3],
                       "start": f"{(2 * n + position) % 24:02d}:{position:02d}",
                       "end": f"{(2 * n + position + 1) % 24:02d}:{(position + 7) % 60:02d}"}
                      for n in range(RESTRICTIONS)])
    LayerParticipant.objects.bulk_create(
        LayerParticipant(layer=layer, user=p, position=turn)
        for turn, p in enumerate(people[position:] + people[:position]))
weekly = Schedule.objects.create(team=small, name="Weekly", time_zone="Europe/London")
layer = Layer.objects.create(schedule=weekly, position=0, shift_length=1, shift_unit="weeks",
                             handoff_time=time(9), start_date=date(2026, 1, 5))
LayerParticipant.objects.create(layer=layer, user=other, position=0)
sessions = {}
for user in (people[0], other):
    client = Client()
    client.force_login(user)
    sessions[user.email] = client.cookies["sessionid"].value
print(json.dumps({"schedule": worst.pk, "feed": worst.calendar_token,
                  "personal": PersonalCalendar.objects.create(user=people[0]).token,
                  "big": sessions["p0@example.com"], "small": sessions["other@example.com"]}))
"""
LABELS = {
    "healthz": "GET /healthz",
    "shifts": "GET /api/v1/schedules/{id}/shifts/ (90 days, worst)",
    "big_list": "GET /incidents/ (a member of Big)",
    "feed": "GET /calendars/schedule/….ics (worst)",
    "personal": "GET /calendars/person/….ics (in every layer)",
    "small_list": "GET /incidents/ (a member of Small)",
}


def bench_env() -> dict[str, str]:
    return {**server_env(), "DATABASE_URL": f"{quick.PG}/{DB_NAME}", "REDIS_URL": REDIS_URL}


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def measure(
    base_url: str, seeded: dict, token: str, rounds: int
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """The first round (cold: nothing cached yet) and the timed rounds after it."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    span = {"start": now.isoformat(), "end": (now + datetime.timedelta(days=90)).isoformat()}
    requests = {
        "healthz": ("/healthz", {}, {}),
        "shifts": (f"/api/v1/schedules/{seeded['schedule']}/shifts/", span,
                   {"Authorization": f"Bearer {token}"}),
        "big_list": ("/incidents/", {}, {"Cookie": f"sessionid={seeded['big']}"}),
        "feed": (f"/calendars/schedule/{seeded['feed']}.ics", {}, {}),
        "personal": (f"/calendars/person/{seeded['personal']}.ics", {}, {}),
        "small_list": ("/incidents/", {}, {"Cookie": f"sessionid={seeded['small']}"}),
    }  # fmt: skip
    cold: dict[str, float] = {}
    times: dict[str, list[float]] = {name: [] for name in requests}
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for round_ in range(1 + rounds):  # the first round warms up
            for name in random.sample(list(requests), len(requests)):
                path, params, headers = requests[name]
                started = time.perf_counter()
                response = client.get(path, params=params, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    sys.exit(f"{path} answered {response.status_code}: {response.text[:300]}")
                if name == "shifts" and not response.json()["shifts"]:
                    sys.exit("the worst schedule has no shifts: the seed is wrong")
                if round_:
                    times[name].append(elapsed)
                else:
                    cold[name] = elapsed
    return cold, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed requests each")
    parser.add_argument("--quick", action="store_true", help="3 rounds: checks it still runs")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    env = bench_env()
    print(f"date {datetime.date.today()}  nproc {len(os.sched_getaffinity(0))}")
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
    quick.fresh_database(DB_NAME, lambda: manage(env, "migrate", "--noinput"))
    redis.Redis.from_url(REDIS_URL).flushdb()  # cold: no shifts or feeds cached by a last run
    quick.collectstatic(lambda: manage(env, "collectstatic", "--noinput"))
    # --quick: a small schedule (3 layers, 10 people, 2 windows): it checks the script runs.
    setup = SETUP.replace("{sizes}", "3, 10, 2" if args.quick else "20, 100, 14")
    seeded = json.loads(manage(env, "shell", "-c", setup).strip().splitlines()[-1])
    token = manage(env, "issue_token", "p0@example.com", "--name", "bench").strip()
    os.environ.update(env)  # start_server passes the environment on
    log = Path(tempfile.mkstemp(prefix="keel-oncall-bench-", suffix=".log")[1])
    server, base_url = start_server(log)
    try:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            wait_healthy(client, server, log)
        cold, times = measure(base_url, seeded, token, rounds)
    finally:
        stop_server(server)
        log.unlink(missing_ok=True)
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")
    trivial = percentile(times["healthz"], 50)
    print(f"\n{rounds} requests each, interleaved, after a first (cold) round; ms")
    print(f"{'endpoint':52} {'cold':>8} {'p50':>8} {'p95':>8} {'p50/healthz':>12}")
    for name, label in LABELS.items():
        p50, p95 = percentile(times[name], 50), percentile(times[name], 95)
        print(f"{label:52} {cold[name]:8.1f} {p50:8.1f} {p95:8.1f} {p50 / trivial:11.1f}x")
    shifts_p95 = percentile(times["shifts"], 95)
    print(f"\ngoal (90 days of the worst schedule, p95 <= {GOAL_MS:.0f} ms): "
          f"{'met' if shifts_p95 <= GOAL_MS else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()

"""Fan-out latency of the live incident room: notes posted over the API reaching N sockets.

Seeds its own database `keel_room_bench` and Redis db 6, starts the production web server as
the Procfile does (uvicorn, 2 workers) and, for each N in --sizes, opens N WebSocket clients
on one incident, lets the room sit idle for --idle s (as a real room does between notes),
posts --notes notes 100 ms apart and times POST start -> arrival at each client. The floor:
Redis PUBLISH -> N redis.asyncio subscribers, same count and size, from this same process.
The join storm: the presence frames the N clients received while joining (coalesced
presence should make that O(N), a few per client, not N²/2).
Goal: p99 <= 100 ms at 200 clients and <= 150 ms at 500, nothing lost at any size.
--layer swaps the channel layer through a settings module in a temporary folder, for
experiments; "core" is as-is.

    .venv/bin/python bench/room_fanout.py [--sizes 50,200,500] [--notes 30] [--idle 8]
        [--every S] [--layer core|core-fixed|pubsub] [--no-deflate] [--quick]

--quick: 5 clients, 3 notes, 0.5 s idle: it checks the script still runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import resource
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
import quick
import redis.asyncio as aioredis
import websockets

ROOT = Path(__file__).resolve().parent.parent
BIN, PG = ROOT / ".venv" / "bin", "postgres://postgres@127.0.0.1:5432"
DB_NAME = quick.database_name("keel_room_bench")
REDIS_URL, EMAIL = quick.redis_url("redis://127.0.0.1:6379/6"), "room@example.com"
GOALS_MS, GAP_S, DRAIN_S, SETTLE_S = {200: 100.0, 500: 150.0}, 0.1, 5.0, 1.0
FLAGS = "DEBUG=false ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=false "
FLAGS += "SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SECURE_HSTS_SECONDS=0"
SETUP = """
import json
from django.test import Client
from accounts.models import Membership, Team, User
from incidents import lifecycle
user = User.objects.create_user("room@example.com", "x", display_name="Room Bench")
team = Team.objects.create(name="Room bench", slug="room-bench")
Membership.objects.create(team=team, user=user, role="responder")
incident, browser = lifecycle.declare(user, title="Room fan-out bench", team=team), Client()
browser.force_login(user)  # a session in the database, signed with this run's SECRET_KEY
session = browser.cookies["sessionid"].value
print(json.dumps({"ref": incident.ref, "pk": incident.pk, "session": session}))
"""
# redis-py 8 defaults: socket_timeout 5 s (= channels_redis' BZPOPMIN wait), pool of 100.
HOST = {"address": REDIS_URL, "socket_timeout": None, "max_connections": 1000}
LAYERS: dict[str, dict | None] = {
    "core": None,  # keel/settings.py as it is
    "core-fixed": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {
        "hosts": [HOST], "prefix": "keel:asgi", "capacity": 2000, "expiry": 60}},
    "pubsub": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
               "CONFIG": {"hosts": [HOST], "prefix": "keel:asgi"}},
}  # fmt: skip


def bench_env(layer: str) -> dict[str, str]:
    env = {**os.environ, **dict(flag.split("=") for flag in FLAGS.split())}
    env |= {"DATABASE_URL": f"{PG}/{DB_NAME}", "REDIS_URL": REDIS_URL}
    env |= {"SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_SETTINGS_MODULE": "keel.settings"}
    if LAYERS[layer] is not None:
        folder = Path(tempfile.mkdtemp(prefix="keel-room-"))
        text = (
            f"from keel.settings import *  # noqa\nCHANNEL_LAYERS = {{'default': {LAYERS[layer]}}}"
        )
        (folder / "room_bench_settings.py").write_text(text + "\n")
        env |= {"DJANGO_SETTINGS_MODULE": "room_bench_settings", "PYTHONPATH": f"{folder}:{ROOT}"}
    return env


def manage(env: dict[str, str], *args: str) -> str:
    command = [str(BIN / "python"), "manage.py", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if values else 0.0


async def until(done, limit: float) -> float:  # done: () -> bool
    """Poll done() every 50 ms for at most `limit` seconds; return the time waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit and not done():
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


class Client:
    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws, self.seen, self.presence, self.ready = ws, dict[int, float](), 0, asyncio.Event()

    async def read(self, clock: dict[str, float]) -> None:
        async for raw in self.ws:
            now = clock["last"] = time.perf_counter()
            if '"event"' in raw[:24]:
                self.seen.setdefault(json.loads(raw)["event"]["seq"], now)
            elif '"incident"' in raw[:24]:
                self.ready.set()
            elif '"presence"' in raw[:24]:
                self.presence += 1


async def room(n: int, args: argparse.Namespace, port: int, seeded: dict, token: str) -> dict:
    url, origin = f"ws://127.0.0.1:{port}/ws/incidents/{seeded['ref']}/", f"http://127.0.0.1:{port}"
    cookie, gate, clock = {"Cookie": f"sessionid={seeded['session']}"}, asyncio.Semaphore(50), {}
    keys = f"keel:asgi:group:incident-{seeded['pk']}", f"keel:presence:{seeded['pk']}"

    async def open_one() -> Client:
        async with gate:
            return Client(await websockets.connect(
                url, origin=origin, additional_headers=cookie, max_size=None, open_timeout=60,
                proxy=None, compression=args.deflate))  # fmt: skip

    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=origin, headers=auth, timeout=30, trust_env=False
    ) as http:
        after = (await http.get(f"/api/v1/incidents/{seeded['ref']}/")).json()["last_seq"]
        started = clock["last"] = time.perf_counter()
        clients = await asyncio.gather(*(open_one() for _ in range(n)))
        readers = [asyncio.create_task(c.read(clock)) for c in clients]
        posted, rtt = dict[int, float](), list[float]()
        try:
            hello = json.dumps({"type": "hello", "after": after})
            await asyncio.gather(*(c.ws.send(hello) for c in clients))
            await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), 120)
            joined = time.perf_counter() - started
            settled = await until(lambda: time.perf_counter() - clock["last"] >= SETTLE_S, 120)
            async with aioredis.Redis.from_url(REDIS_URL) as r:  # core layer: channel names
                prefixes = [name.split(b"!")[0] for name in await r.zrange(keys[0], 0, -1)]
            split = sorted((prefixes.count(p) for p in set(prefixes)), reverse=True)
            await asyncio.sleep(args.idle)

            async def post_note(i: int) -> None:
                t0 = time.perf_counter()
                note = {"body": f"bench {i}"}
                response = await http.post(f"/api/v1/incidents/{seeded['ref']}/notes/", json=note)
                rtt.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 201:
                    sys.exit(f"POST notes answered {response.status_code}: {response.text[:300]}")
                posted[response.json()["seq"]] = t0

            # Default: each POST waits for the previous answer, then GAP_S (a slow answer
            # slows the writer). --every: POSTs start on a fixed schedule, whatever the
            # answers take, so that versions that answer at different speeds see one rate.
            schedule, posts = time.perf_counter(), []
            for i in range(args.notes):
                if args.every is None:
                    await asyncio.sleep(GAP_S)
                    await post_note(i)
                else:
                    await asyncio.sleep(max(0.0, schedule + i * args.every - time.perf_counter()))
                    posts.append(asyncio.create_task(post_note(i)))
            await asyncio.gather(*posts)
            await until(lambda: all(posted.keys() <= c.seen.keys() for c in clients), DRAIN_S)
        finally:
            dropped = sum(c.ws.close_code is not None for c in clients)  # closed by the server
            await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)
            await asyncio.gather(*readers, return_exceptions=True)
    async with aioredis.Redis.from_url(REDIS_URL) as r:  # wait for the server to let go
        for _ in range(300):
            if not any(left := [await r.zcard(key) for key in keys]):
                break
            await asyncio.sleep(0.1)
    arrivals = [[c.seen[s] - t0 for c in clients if s in c.seen] for s, t0 in posted.items()]
    ms = [a * 1000 for per_note in arrivals for a in per_note]
    return {"ms": ms, "lost": n * args.notes - len(ms), "joined": joined, "settled": settled,
            "presence": sum(c.presence for c in clients), "split": split, "rtt": rtt,
            "presence_max": max(c.presence for c in clients),
            "dropped": dropped, "left": left, "first": [min(a) * 1000 for a in arrivals if a],
            "spread": [(max(a) - min(a)) * 1000 for a in arrivals if a]}  # fmt: skip


async def floor(n: int, m: int, size: int) -> dict:
    """Redis PUBLISH -> n pub/sub subscribers, each on its own connection, same payload size."""
    channel, seen = "keel-room-bench-floor", [dict[int, float]() for _ in range(n)]
    client = aioredis.Redis(host="127.0.0.1", db=6, socket_timeout=None, max_connections=n + 1)
    subs = [client.pubsub() for _ in range(n)]

    async def listen(ps: aioredis.client.PubSub, got: dict[int, float]) -> None:
        async for message in ps.listen():
            if message["type"] == "message":
                got.setdefault(json.loads(message["data"])["event"]["seq"], time.perf_counter())

    await asyncio.gather(*(ps.subscribe(channel) for ps in subs))
    tasks = [asyncio.create_task(listen(ps, got)) for ps, got in zip(subs, seen, strict=True)]
    posted: dict[int, float] = {}
    try:
        for seq in range(m):
            await asyncio.sleep(GAP_S)
            payload = json.dumps({"type": "event", "event": {"seq": seq, "html": "x" * size}})
            posted[seq] = time.perf_counter()
            await client.publish(channel, payload)
        await until(lambda: all(len(got) == m for got in seen), DRAIN_S)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(ps.aclose() for ps in subs), return_exceptions=True)
        await client.aclose()
    ms = [(got[s] - t0) * 1000 for got in seen for s, t0 in posted.items() if s in got]
    return {"ms": ms, "lost": n * m - len(ms)}


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # uvicorn and its workers: our group only
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


async def run(args: argparse.Namespace, env: dict[str, str]) -> list[tuple[int, dict, dict]]:
    quick.fresh_database(DB_NAME, lambda: manage(env, "migrate", "--noinput"))
    async with aioredis.Redis.from_url(REDIS_URL) as r:
        await r.flushdb()
    quick.collectstatic(lambda: manage(env, "collectstatic", "--noinput"))
    seeded = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    token = manage(env, "issue_token", EMAIL, "--name", "room bench").strip()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = Path(tempfile.mkstemp(prefix="keel-room-", suffix=".log")[1])
    command = [str(BIN / "uvicorn"), "keel.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", quick.WORKERS]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # fmt: skip
    results = []
    try:
        for _ in range(300):
            if server.poll() is not None:
                sys.exit(f"the server exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False).is_success:
                    break
            await asyncio.sleep(0.2)
        else:
            sys.exit("the server did not answer /healthz within 60 s")
        for n in args.sizes:
            r, f = await room(n, args, port, seeded, token), await floor(n, args.notes, 1100)
            results.append((n, r, f))
            print(f"N={n}: joined {r['joined']:.1f} s, quiet {r['settled']:.1f} s later; join "
                  f"storm: {r['presence']} presence msgs ({r['presence'] / n:.1f} per join, "
                  f"at most {r['presence_max']} per client); sockets per worker {r['split']}; "
                  f"POST p50 "
                  f"{pct(r['rtt'], 50):.0f} ms; POST->1st socket p50 {pct(r['first'], 50):.0f} "
                  f"ms, 1st->last p50 {pct(r['spread'], 50):.0f} ms; closed by the server "
                  f"{r['dropped']}; left after closing [group, presence] {r['left']}",
                  flush=True)  # fmt: skip
    finally:
        stop_server(server)
    text = log.read_text(errors="replace")
    errors = sorted({line for line in text.splitlines() if line.startswith("redis.exceptions")})
    print(f"server log {log}: {text.count('Traceback')} tracebacks {errors}")
    if "Traceback" not in text:
        log.unlink()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=[50, 200, 500], type=lambda text: list(map(int, text.split(",")))
    )
    parser.add_argument("--notes", type=int, default=30)
    parser.add_argument("--idle", type=float, default=8.0, help="seconds idle before the notes")
    parser.add_argument(
        "--every", type=float, default=None, help="start a POST every S s, not 0.1 s after each"
    )
    parser.add_argument("--layer", choices=LAYERS, default="core")
    parser.add_argument("--no-deflate", dest="deflate", action="store_const", const=None,
                        default="deflate", help="do not offer permessage-deflate")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="5 clients, 3 notes")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.notes, args.idle = [5], 3, 0.5
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # N sockets + N subscribers
    cpu = Path("/proc/cpuinfo").read_text().split("model name")[1].split("\n")[0].strip(": \t")
    print(f"date {datetime.date.today()}  nproc {os.cpu_count()}  cpu {cpu}  open files {hard}")
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
    results = asyncio.run(run(args, bench_env(args.layer)))
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")
    pace = "100 ms apart" if args.every is None else f"started every {args.every} s"
    print(f"\nlayer {args.layer}, compression {args.deflate}; {args.notes} notes {pace} "
          f"after {args.idle:.0f} s idle; ms\n{'N':>4} {'p50':>7} {'p99':>7} {'max':>7} "
          f"{'lost':>6}   floor {'p50':>6} {'p99':>6} {'lost':>5}   p99/floor p99")  # fmt: skip
    met = True
    for n, r, f in results:
        p99, fp99 = pct(r["ms"], 99), pct(f["ms"], 99)
        print(f"{n:>4} {pct(r['ms'], 50):7.1f} {p99:7.1f} {max(r['ms'], default=0):7.1f} "
              f"{r['lost']:>6}         {pct(f['ms'], 50):6.2f} {fp99:6.2f} {f['lost']:>5}"
              f"   {p99 / fp99 if fp99 else 0:.0f}x")  # fmt: skip
        met = met and r["lost"] == 0 and p99 <= GOALS_MS.get(n, float("inf"))
    goals = ", ".join(f"<= {ms:.0f} ms at {n}" for n, ms in GOALS_MS.items())
    print(f"\ngoal (p99 {goals} clients, none lost): {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()

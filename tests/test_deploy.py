"""The container files: the entrypoint runs the Procfile's processes, the health check gets
past Django's host check, compose.yaml migrates first, .env.example is complete.

The image itself is built and run by .ci/image-check (`make test-image`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "deploy" / "entrypoint"
PROCFILE = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines())
RUNNING = [name for name in PROCFILE if name != "release"]  # the image has `migrate` instead


def run_entrypoint(tmp_path: Path, *args: str, **env: str) -> str:
    """The entrypoint with stand-ins for uvicorn and celery that print what they were given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("uvicorn", "celery"):
        stand_in = bin_dir / tool
        stand_in.write_text(f'#!/bin/sh\necho "{tool} $* DB_POOL=${{DB_POOL:-unset}}"\n')
        stand_in.chmod(0o755)
    environment = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PORT": "8123", **env}
    done = subprocess.run(
        [str(ENTRYPOINT), *args], env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.parametrize("process", RUNNING)
def test_the_image_command_runs_that_procfile_line(tmp_path, process):
    line = PROCFILE[process]
    program = "uvicorn" if "uvicorn" in line else "celery"
    printed = run_entrypoint(tmp_path, process)
    assert printed.startswith(f"{program} ")
    if process == "web":
        assert "keel.asgi:application --host 0.0.0.0 --port 8123" in printed
        assert "--proxy-headers --forwarded-allow-ips 127.0.0.1" in printed
        # Bounded, so uvicorn exits by itself within compose's 15 s stop_grace_period.
        assert "--timeout-graceful-shutdown 10" in printed
    else:
        # The Celery workers fork: no connection pool, as the Procfile says.
        pooled = "DB_POOL=false" in line
        assert printed.endswith("DB_POOL=false" if pooled else "DB_POOL=unset")
        assert line.split("celery ", 1)[1].split(" --concurrency")[0] in printed


def test_the_web_command_takes_the_proxy_settings_from_the_environment(tmp_path):
    printed = run_entrypoint(tmp_path, "web", FORWARDED_ALLOW_IPS="*", WEB_CONCURRENCY="3")
    assert "--workers 3" in printed and "--forwarded-allow-ips *" in printed


def test_any_other_command_runs_as_given(tmp_path):
    assert run_entrypoint(tmp_path, "echo", "hello") == "hello"


def test_the_health_check_passes_against_keel_allowing_only_its_public_host(tmp_path):
    """Production allows only its public name: a plain GET 127.0.0.1/healthz would get
    Django's 400. The health check names the first allowed host instead."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")},
        "DEBUG": "false", "SECRET_KEY": "health-check-test-" + "k3y" * 20,
        "ALLOWED_HOSTS": ".keel.example.com,other.example.com", "PORT": str(port),
    }  # fmt: skip
    uvicorn = Path(sys.executable).with_name("uvicorn")
    server = subprocess.Popen(
        [str(uvicorn), "keel.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                plain = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert plain.status_code == 400  # the host check the health check must pass
        check = [sys.executable, str(ROOT / "deploy" / "healthcheck.py")]
        assert subprocess.run(check, env=env, capture_output=True).returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=10)
    failed = subprocess.run(check, env=env, capture_output=True, text=True)
    assert failed.returncode != 0 and "/healthz" in failed.stderr


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_every_process_after_migrate_has_finished():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    for process in RUNNING:
        assert services[process]["command"] == [process]
        assert services[process]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
    assert set(services["migrate"]["depends_on"]) == {"db", "redis"}


def test_compose_runs_one_beat_and_keeps_data_in_volumes():
    spec = compose()
    assert spec["services"]["beat"]["deploy"]["replicas"] == 1
    assert "ports" not in spec["services"]["web"]  # scalable: only the proxy publishes ports
    for service, path in [("db", "/var/lib/postgresql/data"), ("redis", "/data")]:
        assert any(v.endswith(f":{path}") for v in spec["services"][service]["volumes"])
    assert "--appendonly" in spec["services"]["redis"]["command"]


def test_env_example_has_every_setting_of_the_readme_configuration_table():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = {
        name
        for row in table.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])
    }
    assert len(names) > 30
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", example, re.M))
    assert names - listed == set()


def test_the_dockerfile_takes_its_base_as_an_argument_and_runs_as_keel():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim-bookworm" in dockerfile
    assert dockerfile.count("FROM ${BASE_IMAGE}") == 2
    final = dockerfile.rsplit("FROM ", 1)[1]
    assert "USER keel" in final and "HEALTHCHECK" in final

"""The image's HEALTHCHECK for the web process: GET /healthz on this container's own port.

Django answers 400 to a Host that is not in ALLOWED_HOSTS, so the request names the first
allowed host ("keel.example.com"; a ".example.com" pattern without its dot; "*" as
localhost). /healthz is exempt from the HTTPS redirect, so plain HTTP is enough.
"""

from __future__ import annotations

import http.client
import os
import sys


def allowed_host() -> str:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0].lstrip(".") if hosts else "localhost"
    return "localhost" if host == "*" else host


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=4)
    try:
        connection.request("GET", "/healthz", headers={"Host": allowed_host()})
        status = connection.getresponse().status
    except OSError as exc:
        sys.exit(f"/healthz: {exc}")
    finally:
        connection.close()
    if status != 200:
        sys.exit(f"/healthz answered {status}")


if __name__ == "__main__":
    main()

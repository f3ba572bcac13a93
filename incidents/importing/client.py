"""Reading another tool's API: GETs through Keel's outbound transport (checked
destinations, timeouts, no redirects), retried when the source asks for it.

A 429 or a 5xx or a timeout is tried again after the source's `Retry-After` (or a growing
backoff), up to `attempts` times; a refused token (401/403) stops at once with a sentence
saying so. `sleep` is an argument so tests need not wait.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urljoin

from .. import outbound

BACKOFF_SECONDS = (1, 2, 4, 8, 16)
MAX_WAIT_SECONDS = 60.0


class SourceError(Exception):
    """The source could not be read; the message says why in words a person can act on."""


class SourceClient:
    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.headers = {"Accept": "application/json", **headers}
        self.attempts, self.sleep = attempts, sleep
        self.requests = 0  # how many were made, for the report

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """`path` relative to the base URL (or a whole URL, as a `next` link is), with
        `params` added; a list value repeats its key (PagerDuty's `include[]=...`)."""
        url = urljoin(self.base_url, path.lstrip("/")) if "://" not in path else path
        if params:
            url += ("&" if "?" in url else "?") + urlencode(
                [(k, v) for k, v in params.items() if v is not None], doseq=True
            )
        return url

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The JSON the source answers for GET `path`; SourceError when it cannot be had."""
        url = self.url(path, params)
        for attempt in range(self.attempts):
            self.requests += 1
            result = outbound.get(url, self.headers)
            if result.delivered:
                try:
                    return json.loads(result.body)
                except ValueError:
                    raise SourceError(f"{url} did not answer JSON.") from None
            if result.status_code in (401, 403):
                raise SourceError(
                    f"The source refused the token ({result.status_code}) for {url}: it may "
                    "have expired, or lack read access."
                )
            if result.outcome == "failed" or attempt == self.attempts - 1:
                raise SourceError(f"Could not read {url}: {result.detail}")
            wait = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
            if result.retry_after is not None:
                wait = result.retry_after.total_seconds()
            self.sleep(min(wait, MAX_WAIT_SECONDS))
        raise AssertionError("unreachable")

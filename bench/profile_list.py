"""Where GET /api/v1/incidents/?status=open spends its time, against the keel_bench database.

Times the list view's steps in-process (the paginator's COUNT, the page query with and without
its prefetches, serialising, rendering), then runs each SQL query under EXPLAIN ANALYZE.
Needs a database seeded by bench/api_list.py; api_list.py runs this when the list misses its goal.

    .venv/bin/python bench/profile_list.py
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from api_list import EMAIL, ROOT, bench_env

# --quick (api_list.py --quick passes it on): a few runs, to check the script still runs.
WARM, RUNS = (2, 5) if "--quick" in sys.argv else (10, 50)


def timed(name: str, step: Callable[[], object]) -> None:
    for _ in range(WARM):
        step()
    started = time.perf_counter()
    for _ in range(RUNS):
        step()
    print(f"  {name:34} {(time.perf_counter() - started) * 1000 / RUNS:6.1f}")


def main() -> None:
    os.environ.update(bench_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.renderers import JSONRenderer
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from accounts.models import User
    from incidents.api.serializers import IncidentSerializer
    from incidents.models import Incident

    user = User.objects.get(email=EMAIL)
    request = Request(APIRequestFactory().get("/api/v1/incidents/", HTTP_HOST="127.0.0.1"))

    def visible():  # what IncidentViewSet.get_queryset() and ?status=open make of it
        return Incident.objects.visible_to(user).for_list().open()

    page = list(visible()[:50])
    data = IncidentSerializer(page, many=True, context={"request": request}).data  # to render
    print(f"the list's steps in-process, mean of {RUNS} runs after {WARM} warm-up (ms):")
    timed("COUNT(*) for the paginator", lambda: visible().count())
    timed("page of 50, without prefetches", lambda: list(visible().prefetch_related(None)[:50]))
    timed("page of 50, with prefetches", lambda: list(visible()[:50]))
    context = {"request": request}
    timed("serialise 50", lambda: IncidentSerializer(page, many=True, context=context).data)
    timed("render JSON", lambda: JSONRenderer().render(data))

    with CaptureQueriesContext(connection) as captured:
        visible().count()
        list(visible()[:50])
    for query in captured.captured_queries:
        print(f"\n-- {query['sql']}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join("   " + row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()

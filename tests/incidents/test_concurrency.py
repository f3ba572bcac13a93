"""Many writers on one incident: seq stays 1..N with no gap and no duplicate."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from incidents import lifecycle
from incidents.models import Incident

from ..helpers import declare, is_postgres

WRITERS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_get_gapless_unique_seqs(cast):
    if not is_postgres():
        pytest.skip("needs PostgreSQL's row locks (set DATABASE_URL)")
    incident = declare(cast)  # events 1 (declared) and 2 (commander)
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            lifecycle.add_note(Incident.objects.get(pk=incident.pk), cast.responder, f"note {n}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    seqs = list(incident.events.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS + 3))
    notes = incident.events.filter(kind="note").values_list("body", flat=True)
    assert sorted(notes) == sorted(f"note {n}" for n in range(WRITERS))
    incident.refresh_from_db()
    assert incident.last_seq == WRITERS + 2

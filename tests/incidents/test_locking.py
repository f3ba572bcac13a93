"""incidents/locking.py: a transaction PostgreSQL picks as a deadlock victim is redone, and
both sides end done; a transaction inside a bigger one is never redone on its own; the
lifecycle writers are redone the same way."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from incidents import lifecycle, locking
from incidents.models import Incident, Service

from ..helpers import api_client, deadlocks_in_test_database, declare, is_postgres


def _in_a_transaction_of_its_own(fn):
    """What locking.retried wraps: a function that is one whole transaction by itself."""

    def run(*args):
        with transaction.atomic():
            return fn(*args)

    return locking.retried(run)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("form", ["atomic_with_retries", "retried"])
def test_a_deadlock_victim_is_redone_and_both_transactions_commit(form):
    if not is_postgres():
        pytest.skip("needs PostgreSQL's deadlock detection (set DATABASE_URL)")
    first = Service.objects.create(name="first")
    second = Service.objects.create(name="second")
    both_hold_one = threading.Barrier(2)
    attempts: list[str] = []
    errors: list[BaseException] = []
    before = deadlocks_in_test_database()

    def rename(name: str, order: list[int]) -> None:
        # Opposite orders on purpose: the one thing locking.py's order rules out.
        attempts.append(name)
        Service.objects.select_for_update().get(pk=order[0])
        if attempts.count(name) == 1:
            both_hold_one.wait(timeout=30)
        Service.objects.select_for_update().get(pk=order[1])
        Service.objects.filter(pk__in=order).update(description=f"last written by {name}")

    def run(name: str, order: list[int]) -> None:
        try:
            if form == "retried":
                _in_a_transaction_of_its_own(rename)(name, order)
            else:
                locking.atomic_with_retries(rename, name, order)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("a", [first.pk, second.pk])),
        threading.Thread(target=run, args=("b", [second.pk, first.pk])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(attempts) in (["a", "a", "b"], ["a", "b", "b"])  # one victim, redone once
    redone = max(set(attempts), key=attempts.count)
    descriptions = set(Service.objects.values_list("description", flat=True))
    assert descriptions == {f"last written by {redone}"}  # the victim committed last
    assert deadlocks_in_test_database() - before >= 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_inside_a_bigger_transaction_the_deadlock_error_is_not_swallowed():
    if not is_postgres():
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    calls: list[int] = []

    def fail() -> None:
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'chosen as victim' USING ERRCODE = '40P01'; END $$"
            )

    with pytest.raises(OperationalError), transaction.atomic():
        locking.atomic_with_retries(fail)
    assert calls == [1]
    with pytest.raises(OperationalError):
        locking.atomic_with_retries(fail)
    assert len(calls) == 1 + locking.ATTEMPTS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lifecycle_writer_that_loses_a_deadlock_is_redone(cast):
    """A merge (which locks its two incidents in pk order) meets a transaction that took
    them the other way round: the merge, which waited first, is the victim, and is redone."""
    if not is_postgres():
        pytest.skip("needs PostgreSQL's deadlock detection (set DATABASE_URL)")
    duplicate, keeper = declare(cast, title="Duplicate"), declare(cast, title="Keeper")
    before = deadlocks_in_test_database()
    holds_keeper = threading.Event()
    errors: list[BaseException] = []

    def other_way_round() -> None:
        try:
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=keeper.pk)
                holds_keeper.set()
                while not _someone_waits_for_a_lock():
                    time.sleep(0.01)
                Incident.objects.select_for_update().get(pk=duplicate.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def merge() -> None:
        try:
            holds_keeper.wait(timeout=30)
            lifecycle.merge(duplicate, cast.responder, keeper)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=other_way_round), threading.Thread(target=merge)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == ("merged", keeper.pk)
    assert duplicate.events.filter(kind="merge").count() == 1  # the lost attempt left nothing
    assert deadlocks_in_test_database() - before == 1


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lock_held_too_long_fails_the_writer_clearly_instead_of_hanging(cast, settings):
    if not is_postgres():
        pytest.skip("needs PostgreSQL's lock_timeout (set DATABASE_URL)")
    settings.LOCK_TIMEOUT_SECONDS = 0.5
    incident = declare(cast)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=incident.pk)
                holding.set()
                done.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        holding.wait(timeout=30)
        with pytest.raises(OperationalError) as refused:
            lifecycle.add_note(incident, cast.responder, "while someone holds the lock")
        assert locking.sqlstate(refused.value) == locking.LOCK_NOT_AVAILABLE
    finally:
        done.set()
        holder.join(timeout=30)
    assert not incident.events.filter(kind="note").exists()
    lifecycle.add_note(incident, cast.responder, "once it is free")
    assert incident.events.filter(kind="note").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_api_answers_a_lock_held_too_long_with_503_and_retry_after(cast, settings):
    if not is_postgres():
        pytest.skip("needs PostgreSQL's lock_timeout (set DATABASE_URL)")
    settings.LOCK_TIMEOUT_SECONDS = 0.5
    incident = declare(cast)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=incident.pk)
                holding.set()
                done.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        holding.wait(timeout=30)
        answer = api_client(cast.responder).post(
            f"/api/v1/incidents/{incident.ref}/notes/", {"body": "busy?"}, format="json"
        )
    finally:
        done.set()
        holder.join(timeout=30)
    assert answer.status_code == 503
    assert answer["Retry-After"] == "2"
    assert answer.json()["detail"] == "The incident is busy with other changes; retry in a moment."
    assert not incident.events.filter(kind="note").exists()

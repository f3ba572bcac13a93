"""incidents/locking.py: a transaction PostgreSQL picks as a deadlock victim is redone, and
both sides end done; a transaction inside a bigger one is never redone on its own."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction

from incidents import locking
from incidents.models import Service

from ..helpers import deadlocks_in_test_database, is_postgres


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deadlock_victim_is_redone_and_both_transactions_commit():
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

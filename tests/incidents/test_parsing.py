"""The shared parsing rules (incidents/parsing.py), for any text at all: an id is plain
ASCII digits, and a name either finds someone or is refused with a message, never an
error from the database."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from accounts.models import User
from incidents.parsing import (
    EARLIEST_DATE,
    LATEST_DATE,
    BadValue,
    check_date,
    cleaned,
    find_person,
    find_service,
    parse_id,
    parse_instant,
    storable_text,
    unstorable_place,
)

# Any text, including NUL, lone surrogates and digits from every script.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=300) | st.text(
    alphabet=st.sampled_from(["\x00", "\ud800", "\udfff", "²", "٣", "\uff11", "1", "a", "@", " "]),
    max_size=30,
)
FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@seed(6)
@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_an_id_is_plain_ascii_digits_and_nothing_else(raw):
    parsed = parse_id(raw)
    digits = raw.strip()
    if parsed is not None:
        assert set(digits) <= set(string.digits) and int(digits) == parsed > 0
    elif digits and set(digits) <= set(string.digits) and len(digits) <= 18:
        assert int(digits) == 0


@pytest.mark.parametrize("raw", ["²", "٣", "\uff11", "1.0", "-1", "0", "1e3", " ", "9" * 19, True])
def test_these_are_not_ids(raw):
    assert parse_id(raw) is None


@seed(6)
@FUZZ
@given(raw=ANY_TEXT)
def test_any_name_finds_someone_or_is_refused_with_a_message(cast, raw):
    for find in (lambda r: find_person(r, User.objects.all()), find_service):
        try:
            find(raw)
        except BadValue as exc:
            assert exc.message.startswith("No ")
            exc.message.encode("utf-8")  # the message itself can always be sent


@seed(6)
@FUZZ
@given(raw=ANY_TEXT)
def test_storable_text_lets_through_only_what_postgres_can_store(raw):
    try:
        kept = storable_text(raw, "name", 300)
    except BadValue as exc:
        assert "name" in exc.message
    else:
        assert "\x00" not in kept
        kept.encode("utf-8")


# --- the one window for instants, and cleaning what senders send ----------------------------


@seed(15)
@settings(max_examples=300, deadline=None)
@given(ANY_TEXT | st.sampled_from([
    "9999-12-31T23:59:59-12:00", "2026-02-30T10:00:00Z", "2026-06-01T10:00:00+99:00",
    "2026-06-01T10:00:00-14:30", "0001-01-01T00:00:00+14:00", "2026-06-01T10:00:00",
    "2199-12-31T23:00:00-12:00", "1969-12-31T23:00:00Z", "9" * 5000,
]))  # fmt: skip
def test_an_instant_is_inside_the_window_in_utc_with_a_real_offset_or_refused(raw):
    try:
        value = parse_instant(raw, "The end")
    except BadValue as problem:
        assert problem.message.startswith("The end")
        return
    utc = value.astimezone(UTC)  # never overflows: that is the point
    assert EARLIEST_DATE <= utc.date() <= LATEST_DATE
    assert abs(value.utcoffset()) <= timedelta(hours=14)


def test_a_real_instant_reads_back_as_written():
    value = parse_instant("2026-06-01T09:00:00+02:00", "The start")
    assert value == datetime(2026, 6, 1, 7, tzinfo=UTC)


@pytest.mark.parametrize("day", [date(1969, 12, 31), date(2200, 1, 1), date(9999, 12, 31)])
def test_a_date_outside_the_window_is_refused(day):
    with pytest.raises(BadValue, match="between 1970-01-01 and 2199-12-31"):
        check_date(day, "The date")


@seed(15)
@settings(max_examples=300, deadline=None)
@given(st.recursive(ANY_TEXT | st.integers(), lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(ANY_TEXT, inner, max_size=4), max_leaves=20))  # fmt: skip
def test_cleaned_json_is_storable_and_unstorable_places_are_found(data):
    assert unstorable_place(cleaned(data)) is None
    place = unstorable_place(data)
    if place is None:
        assert cleaned(data) == data  # nothing storable is changed
    else:
        assert cleaned(data) != data

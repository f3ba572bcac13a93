"""The shared parsing rules (incidents/parsing.py), for any text at all: an id is plain
ASCII digits, and a name either finds someone or is refused with a message, never an
error from the database."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from accounts.models import User
from incidents.parsing import BadValue, find_person, find_service, parse_id, storable_text

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

from __future__ import annotations

import pytest

from incidents.chat.signing import BadSignature, sign, verify

# Slack's published example ("Verifying requests from Slack").
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
AT = float(SLACK_TIMESTAMP) + 10


def test_slacks_published_example_signs_as_slack_says():
    assert sign(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY) == SLACK_SIGNATURE


def test_slacks_published_example_verifies():
    verify(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_SIGNATURE, SLACK_BODY, now=AT)


def test_our_own_signature_verifies_and_another_secret_does_not():
    body = b"command=%2Fincident&text=ack+INC-4"
    signature = sign("our-secret", "1700000000", body)
    verify("our-secret", "1700000000", signature, body, now=1700000100)
    with pytest.raises(BadSignature, match="does not match"):
        verify("another-secret", "1700000000", signature, body, now=1700000100)


def test_a_body_altered_after_signing_is_refused():
    with pytest.raises(BadSignature, match="does not match"):
        verify(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_SIGNATURE, SLACK_BODY + b"x", now=AT)


@pytest.mark.parametrize("skew", [301, -301, 3600])
def test_a_timestamp_outside_five_minutes_is_refused(skew):
    with pytest.raises(BadSignature, match="five minutes"):
        verify(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_SIGNATURE, SLACK_BODY, now=AT - 10 + skew)


def test_the_edge_of_the_window_is_still_accepted():
    verify(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_SIGNATURE, SLACK_BODY, now=AT - 10 + 300)


@pytest.mark.parametrize(
    ("timestamp", "signature", "message"),
    [
        (None, SLACK_SIGNATURE, "missing"),
        (SLACK_TIMESTAMP, None, "missing"),
        ("yesterday", SLACK_SIGNATURE, "Unix time"),
        (SLACK_TIMESTAMP, "v0=deadbeef", "does not match"),
        (SLACK_TIMESTAMP, "v0=ä", "does not match"),
    ],
)
def test_missing_or_malformed_headers_are_refused_with_a_reason(timestamp, signature, message):
    with pytest.raises(BadSignature, match=message):
        verify(SLACK_SECRET, timestamp, signature, SLACK_BODY, now=AT)

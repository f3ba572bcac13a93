"""incidents/outbound.py against a real local HTTP receiver: what it sends, and how it reads
each kind of answer."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import timedelta

import pytest

from incidents import outbound

from ..receivers import Answer, Receiver
from ..servers import free_port


@pytest.fixture
def allow_private(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.OUTBOUND_READ_TIMEOUT = 1.0
    return settings


@pytest.fixture
def receiver(allow_private):
    with Receiver() as receiver:
        yield receiver


def test_a_2xx_is_delivered_with_the_json_body_and_a_verifiable_signature(receiver):
    result = outbound.post_json(
        f"{receiver.url}/hooks/page", {"type": "page", "ref": "INC-7"}, secret="s3cret",
        headers={"X-Keel-Delivery": "d-1"},
    )  # fmt: skip
    assert result.outcome == "delivered" and result.status_code == 200
    [request] = receiver.requests
    assert request.path == "/hooks/page"
    assert json.loads(request.body) == {"type": "page", "ref": "INC-7"}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Keel-Delivery"] == "d-1"
    expected = hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Keel-Signature-256"] == f"sha256={expected}"
    assert request.headers["Host"] == receiver.url.removeprefix("http://")


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_server_errors_and_timeouts_from_the_receiver_are_retried(receiver, status):
    receiver.answer(Answer(status))
    result = outbound.post_json(receiver.url, {})
    assert result.outcome == "retry" and result.status_code == status
    assert result.retry_after is None


def test_429_is_retried_when_the_receiver_says(receiver):
    receiver.answer(
        Answer(429, {"Retry-After": "7"}),
        Answer(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # long past
        Answer(503, {"Retry-After": "86400"}),  # capped
    )
    assert outbound.post_json(receiver.url, {}).retry_after == timedelta(seconds=7)
    assert outbound.post_json(receiver.url, {}).retry_after == timedelta(0)
    assert outbound.post_json(receiver.url, {}).retry_after == outbound.MAX_RETRY_AFTER


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_other_client_errors_fail_for_good(receiver, status):
    receiver.answer(Answer(status))
    result = outbound.post_json(receiver.url, {})
    assert result.outcome == "failed" and result.status_code == status


def test_redirects_are_not_followed(receiver):
    with Receiver() as elsewhere:
        receiver.answer(Answer(307, {"Location": f"{elsewhere.url}/moved"}))
        result = outbound.post_json(receiver.url, {})
        assert result.outcome == "failed" and "redirects" in result.detail
        assert elsewhere.requests == []


def test_a_receiver_that_does_not_answer_in_time_is_retried(receiver, settings):
    settings.OUTBOUND_READ_TIMEOUT = 0.2
    receiver.answer(Answer(200, delay=1.0))
    result = outbound.post_json(receiver.url, {})
    assert result.outcome == "retry" and "in time" in result.detail


def test_a_closed_port_is_retried(allow_private):
    result = outbound.post_json(f"http://127.0.0.1:{free_port()}/", {})
    assert result.outcome == "retry" and "Could not reach" in result.detail


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_and_local_destinations_are_refused_unless_allowed(settings, url):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    result = outbound.post_json(url, {})
    assert result.outcome == "failed"
    assert "private addresses are not allowed" in result.detail


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
        "http://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1::808:808]/hook",  # the local-use NAT64 prefix: inside a network
        "http://[2002:c0a8:a::1]/hook",  # 6to4 of 192.168.0.10
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[::ffff:10.1.2.3]/hook",  # IPv4-mapped
        "http://[::ffff:127.0.0.1]:8080/hook",
        "http://[::10.1.2.3]/hook",  # IPv4-compatible (deprecated, still parsed)
        "http://[::169.254.169.254]/hook",
    ],
)
def test_ipv6_forms_of_private_ipv4_addresses_are_refused(settings, url):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    result = outbound.post_json(url, {})
    assert result.outcome == "failed"
    assert "private addresses are not allowed" in result.detail


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "2606:4700:4700::1111"],
)
def test_ipv6_forms_of_public_addresses_pass_the_check(settings, address):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    pinned, _host, _name = outbound.check_destination(f"https://[{address}]/hook")
    assert pinned == f"https://[{address}]/hook"


def test_a_refusal_says_what_is_wrong_without_the_internal_details(settings, monkeypatch):
    """Someone testing a contact method must not learn internal addresses or the resolver's
    errors: the check answers "private" or "does not resolve", nothing more."""
    settings.OUTBOUND_ALLOW_PRIVATE = False

    def resolve(host, port, *args, **kwargs):
        if host == "db.internal.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", port))]
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    private = outbound.post_json("http://db.internal.example:5432/", {})
    assert private.outcome == "failed"
    assert private.detail == (
        "db.internal.example is a private or local address, and private addresses are not "
        "allowed: use an address reachable from the internet."
    )
    missing = outbound.post_json("http://nothing.internal.example/", {})
    assert missing.outcome == "failed"
    assert missing.detail == "The address does not resolve: no such host nothing.internal.example."


def test_a_name_is_checked_by_every_address_it_resolves_to(settings, monkeypatch):
    """A name with one public and one private address is refused; the connection goes to the
    address that was checked, with the original Host header and TLS name."""
    settings.OUTBOUND_ALLOW_PRIVATE = False

    def resolve(host, port, *args, **kwargs):
        addresses = {"hooks.example.com": ["93.184.216.34"], "mixed.example.com":
                     ["93.184.216.34", "10.0.0.5"]}[host]  # fmt: skip
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    pinned, host_header, name = outbound.check_destination("https://hooks.example.com:8443/p?q=1")
    assert (pinned, host_header, name) == (
        "https://93.184.216.34:8443/p?q=1", "hooks.example.com:8443", "hooks.example.com"
    )  # fmt: skip
    with pytest.raises(outbound.RefusedDestination, match="private addresses are not allowed"):
        outbound.check_destination("https://mixed.example.com/")


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "not a url", "http://user:pw@example.com/", "http://[::1/", "https://"],
)
def test_malformed_urls_fail_for_good(allow_private, url):
    result = outbound.post_json(url, {})
    assert result.outcome == "failed"

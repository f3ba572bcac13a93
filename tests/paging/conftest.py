"""Paging fixtures: a local receiver playing the pager webhook; lifecycle hooks run as they
do after a real commit."""

from __future__ import annotations

import pytest

from tests.receivers import Receiver


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    with Receiver() as running:
        yield running


@pytest.fixture
def committed(transactional_db):
    """Every change really commits, so the after-commit hooks (paging's among them) run as
    in production, at once."""

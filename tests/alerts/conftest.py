from __future__ import annotations

import pytest

from incidents.models import Service


@pytest.fixture
def ops_service(cast) -> Service:
    return Service.objects.create(name="payments-api", team=cast.team)

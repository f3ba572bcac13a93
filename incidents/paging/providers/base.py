"""The phone providers' one small interface (see incidents/paging/providers/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from incidents import outbound

SMS = "sms"
VOICE = "voice"


@dataclass(frozen=True)
class Sent:
    result: outbound.Result
    sid: str = ""  # the provider's id for the message or call ("" when it gave none)


class Provider(Protocol):
    name: str
    kinds: tuple[str, ...]  # what it can do: "sms", "voice"

    def send_sms(self, to: str, body: str) -> Sent: ...

    def call(self, to: str, answer_url: str) -> Sent: ...

"""A real SMTP server on 127.0.0.1 (aiosmtpd) that plays the mail server: it records every
message it accepts, as the parsed email a mail client would read, and refuses recipients
whose address starts with `refused`, as a server answers for an unknown mailbox."""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.servers import free_port


class MailServer:
    """`with MailServer() as server:` ... `server.url` (an EMAIL_URL), `server.messages`."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler:
            async def handle_RCPT(self, _server, _session, envelope, address, _options):
                if address.lower().startswith("refused"):
                    with server._lock:
                        server.refused.append(address)
                    return "550 5.1.1 No such mailbox here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, _server, _session, envelope):
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with server._lock:
                    server.messages.append(message)  # type: ignore[arg-type]
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

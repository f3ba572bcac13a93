"""An action item's due reminder goes out whatever its title holds (a line break once raised
BadHeaderError and the reminder was lost), and a mail server's refusal is said in the
timeline instead of being lost."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from accounts.models import User
from incidents.models import TimelineEvent
from incidents.postmortems import records, reminders
from incidents.postmortems.models import ActionItem
from tests.smtp import MailServer

from .helpers import postmortem_of, seeded_incident

TODAY = date(2030, 5, 1)


def due_item(cast, title: str) -> ActionItem:
    postmortem = postmortem_of(seeded_incident(cast))
    item = records.add_action_item(
        postmortem, cast.responder, title="Rotate keys", owner=cast.admin, due_date=TODAY
    )
    # As older data, an import or another client may have stored it.
    ActionItem.objects.filter(pk=item.pk).update(title=title)
    return item


@pytest.mark.parametrize(
    "title", ["Rotate keys\nand restart the pool", "Bell \x07 tab\t CR\r end", "x" * 200]
)
def test_a_title_with_a_line_break_or_control_characters_is_reminded(cast, title):
    due_item(cast, title)
    assert reminders.remind(TODAY) == 1
    [message] = mail.outbox
    message.message()  # builds, as the backend builds it on the way out
    assert "\n" not in message.subject and "\r" not in message.subject
    assert len(message.subject) <= 200 and message.subject.startswith("[Keel] Action item due")
    event = TimelineEvent.objects.get(kind="reminder")
    cast.admin.refresh_from_db()
    assert event.body.startswith(f"Reminded {cast.admin.name}: action item")


def test_a_refused_reminder_is_said_in_the_timeline(cast, settings):
    with MailServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        due_item(cast, "Rotate keys\nnow")
        User.objects.filter(pk=cast.admin.pk).update(email="refused-admin@example.com")
        assert reminders.remind(TODAY) == 0
        assert server.refused == ["refused-admin@example.com"]
    event = TimelineEvent.objects.get(kind="reminder")
    cast.admin.refresh_from_db()
    assert event.body == (
        f'Could not remind {cast.admin.name} that action item "Rotate keys now" is due: The '
        "mail server refused refused-admin@example.com (550 5.1.1 No such mailbox here)."
    )
    assert event.data["delivered"] is False

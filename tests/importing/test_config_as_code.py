"""export_config and apply_config: Keel's configuration as one YAML document, round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Team, User
from incidents.alerts.models import Integration
from incidents.chat.models import ChatChannel
from incidents.importing import engine
from incidents.importing.compare import compare
from incidents.models import Incident, Service
from incidents.oncall import services as oncall
from incidents.oncall.models import Schedule
from incidents.paging.models import EscalationPolicy, ReminderIntervals

from .core_documents import NOW, another_apply_running, document, snapshot

pytestmark = pytest.mark.django_db
WEBHOOK = "https://hooks.example.com/services/T000/B000/very-secret"


@pytest.fixture
def demo(tmp_path):
    call_command("seed_demo", password="demo-password", stdout=StringIO())
    platform = Team.objects.get(slug="platform")
    ReminderIntervals.objects.create(team=platform, sev1=10, sev2=45)
    ChatChannel.objects.create(team=platform, name="#platform", webhook_url=WEBHOOK)
    integration = Integration(service=Service.objects.get(name="search"), kind="grafana",
                              name="prod grafana", secret="grafana-signing-secret")  # fmt: skip
    integration.new_key()
    integration.save()
    return tmp_path


def export(path=None) -> str:
    out = StringIO()
    call_command("export_config", *([str(path)] if path else []), stdout=out, stderr=StringIO())
    return out.getvalue()


def apply_config(path, *options: str) -> str:
    out = StringIO()
    call_command("apply_config", str(path), *options, stdout=out)
    return out.getvalue()


def shifts_now(start, end) -> list[dict]:
    """Every schedule's final shifts, in the shape a source's rendering has."""
    return [
        {"schedule": s.name, "team": s.team.slug, "source": "",
         "shifts": [{"email": f.user.email, "start": f.start.isoformat(), "end": f.end.isoformat()}
                    for f in oncall.final_shifts(s, start, end)]}
        for s in oncall.with_layers(Schedule.objects.select_related("team"))
    ]  # fmt: skip


def empty_keel() -> None:
    Incident.objects.all().delete()
    Service.objects.all().delete()
    Team.objects.all().delete()
    User.objects.all().delete()


def test_the_export_is_one_yaml_document_without_secrets(demo):
    text = export()
    document = yaml.safe_load(text)
    assert [t["slug"] for t in document["teams"]] == ["payments", "platform"]
    platform = document["teams"][1]
    assert platform["reminder_intervals"] == {"sev1": 10, "sev2": 45, "sev3": None, "sev4": None}
    assert platform["chat_channels"] == [
        {"name": "#platform", "events": ChatChannel.objects.get().events, "service": None}
    ]
    assert {i["name"] for s in platform["services"] for i in s["integrations"]} == {"prod grafana"}
    for secret in (WEBHOOK, "grafana-signing-secret", Integration.objects.get().key_hash,
                   Schedule.objects.first().calendar_token):  # fmt: skip
        assert secret not in text


def test_export_to_a_file_then_apply_on_an_empty_keel_gives_the_same_on_call(demo):
    start = timezone.now().replace(microsecond=0)
    end = start + timedelta(weeks=4)
    before = shifts_now(start, end)
    assert len(before) == 2 and all(entry["shifts"] for entry in before)
    export(demo / "keel.yaml")
    empty_keel()

    printed = apply_config(demo / "keel.yaml", "--create-users")

    assert "Created" in printed and "schedule Payments on call (payments)" in printed
    assert compare(before, start=start, end=end) == []
    assert EscalationPolicy.objects.count() == 2
    assert Service.objects.count() == 5
    # The chat channel's webhook URL was never exported: the channel is skipped, saying why.
    assert "chat channel #platform (platform): its webhook URL is a secret" in printed


def test_applying_the_export_again_changes_nothing(demo):
    export(demo / "keel.yaml")
    before = snapshot()
    printed = apply_config(demo / "keel.yaml")
    assert snapshot() == before
    assert "Nothing changed." in printed
    assert "Would" not in printed


def test_plan_says_what_would_change_and_changes_nothing(demo):
    export(demo / "keel.yaml")
    text = (demo / "keel.yaml").read_text().replace("Payments on call", "Payments primary")
    (demo / "edited.yaml").write_text(text)
    before = snapshot()
    printed = apply_config(demo / "edited.yaml", "--plan")
    assert snapshot() == before
    assert "Would create (1):\n  - schedule Payments primary (payments)" in printed


def test_a_hand_written_file_with_unquoted_times_is_read_as_times(demo, tmp_path):
    (tmp_path / "team.yaml").write_text(
        "version: 1\nteams:\n- name: Night shift\n  slug: night\n"
        "  members: [{email: ana@keel.local, role: responder}]\n"
        "  schedules:\n  - name: Nights\n    time_zone: Europe/Berlin\n    layers:\n"
        "    - participants: [ana@keel.local]\n      shift_length: 1\n      shift_unit: days\n"
        "      handoff_time: 20:00\n      start_date: 2027-03-01\n"
        "      restrictions: [{days: [mon], start: 20:00, end: 08:00}]\n"
    )
    printed = apply_config(tmp_path / "team.yaml")
    assert "schedule Nights (night)" in printed
    layer = Schedule.objects.get(name="Nights").layers.get()
    assert layer.handoff_time.strftime("%H:%M") == "20:00"
    assert layer.restrictions == [{"days": ["mon"], "start": "20:00", "end": "08:00"}]


def test_a_broken_file_is_refused_naming_the_line_or_the_path(demo, tmp_path):
    (tmp_path / "bad.yaml").write_text("teams: [\n")
    with pytest.raises(CommandError, match="line 2, column 1"):
        apply_config(tmp_path / "bad.yaml")
    (tmp_path / "wrong.yaml").write_text("teams:\n- name: X\n  slug: x\n  schedules: [{name: A}]\n")
    with pytest.raises(CommandError, match=r"teams\[0\]\.schedules\[0\]\.time_zone: is required"):
        apply_config(tmp_path / "wrong.yaml")


def test_export_apply_export_gives_the_same_document(demo):
    export(demo / "keel.yaml")
    first = yaml.safe_load((demo / "keel.yaml").read_text())
    empty_keel()
    apply_config(demo / "keel.yaml", "--create-users")
    second = yaml.safe_load(export())
    for exported in (first, second):
        for team in exported["teams"]:
            team.pop("chat_channels")  # its secret URL was never exported: not re-created
    assert second == first


def test_apply_config_while_another_apply_runs_is_refused(demo):
    export(demo / "keel.yaml")
    empty_keel()
    with another_apply_running(), pytest.raises(CommandError, match="applying right now"):
        apply_config(demo / "keel.yaml", "--create-users")
    assert not Team.objects.exists()


def test_the_round_trip_keeps_on_call_across_a_change_to_summer_time(tmp_path):
    """Layers with restrictions in Europe/Berlin, an override, four weeks that cross the
    change to summer time on 28 March 2027."""
    engine.apply(document(), now=NOW, create_users=True)
    end = NOW + timedelta(weeks=4)
    before = shifts_now(NOW, end)
    starts = {datetime.fromisoformat(s["start"]) for s in before[0]["shifts"]}
    # The weekly 09:00 hand-off: 08:00 UTC in winter, 07:00 UTC in summer.
    assert {datetime(2027, 3, 15, 8, tzinfo=UTC), datetime(2027, 3, 29, 7, tzinfo=UTC)} <= starts
    export(tmp_path / "keel.yaml")
    empty_keel()
    apply_config(tmp_path / "keel.yaml", "--create-users")
    assert compare(before, start=NOW, end=end) == []

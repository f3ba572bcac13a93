from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from incidents.chat import blocks
from incidents.chat.blocks import IncidentFacts


def facts(**changes) -> IncidentFacts:
    values = dict(
        ref="INC-7", title="Checkout errors", severity="SEV2", status="triggered",
        commander=None, url="https://keel.example.com/incidents/INC-7/",
    )  # fmt: skip
    values.update(changes)
    return IncidentFacts(**values)


def action_ids(message: dict) -> list[str]:
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    return [e["action_id"] for e in actions["elements"]]


def test_a_triggered_incident_offers_acknowledge_resolve_and_the_room():
    message = blocks.incident_message(facts(), ["Triggered by an alert"], channel_id=3)
    assert action_ids(message) == [blocks.ACKNOWLEDGE, blocks.RESOLVE, blocks.OPEN_ROOM]
    head = message["blocks"][0]["text"]["text"]
    assert "<https://keel.example.com/incidents/INC-7/|INC-7: Checkout errors>" in head
    assert "Triggered by an alert" in head
    fields = [f["text"] for f in message["blocks"][1]["fields"]]
    assert fields == ["*Severity*\nSEV2", "*Status*\nTriggered", "*Commander*\nnobody yet"]
    buttons = message["blocks"][2]["elements"]
    assert {b["value"] for b in buttons} == {"INC-7:3"}
    assert buttons[2]["url"] == "https://keel.example.com/incidents/INC-7/"


def test_the_plain_text_fallback_names_ref_title_severity_status_and_what_happened():
    message = blocks.incident_message(facts(), ["Declared by Ann"], channel_id=3)
    assert message["text"] == "INC-7 Checkout errors · SEV2 · triggered · Declared by Ann"


def test_an_acknowledged_incident_no_longer_offers_acknowledge():
    message = blocks.incident_message(facts(status="investigating", commander="Ann"), [], 3)
    assert action_ids(message) == [blocks.RESOLVE, blocks.OPEN_ROOM]
    assert "*Commander*\nAnn" in [f["text"] for f in message["blocks"][1]["fields"]]


def test_a_resolved_incident_offers_only_the_room():
    message = blocks.incident_message(facts(status="resolved"), ["Resolved by Ann"], 3)
    assert action_ids(message) == [blocks.OPEN_ROOM]


def test_resolving_asks_for_confirmation():
    message = blocks.incident_message(facts(), [], 3)
    resolve = message["blocks"][2]["elements"][1]
    assert resolve["confirm"]["confirm"]["text"] == "Resolve"


def test_text_people_typed_cannot_ping_the_channel_or_forge_links():
    message = blocks.incident_message(
        facts(title="<!channel> & <http://evil|click>", commander="<@U1>"), ["<!here>"], 3
    )
    text = str(message["blocks"])
    assert "<!channel>" not in text and "<!here>" not in text and "<@U1>" not in text
    assert "&lt;!channel&gt; &amp; &lt;http://evil|click&gt;" in text


def test_a_burst_shows_its_newest_headlines():
    lines = [f"Change {n}" for n in range(1, 11)]
    head = blocks.incident_message(facts(), lines, 3)["blocks"][0]["text"]["text"]
    assert "Change 10" in head and "Change 6" in head and "Change 5" not in head


def test_button_values_round_trip_and_garbage_is_tolerated():
    assert blocks.parse_button_value(blocks.button_value("INC-7", 12)) == ("INC-7", 12)
    assert blocks.parse_button_value("INC-7") == ("INC-7", None)
    assert blocks.parse_button_value(None) == ("None", None)


def test_the_incident_list_is_ephemeral_and_says_when_empty():
    assert blocks.incident_list([])["response_type"] == "ephemeral"
    listed = blocks.incident_list([facts(commander="Ann")], more=2)
    assert "INC-7" in listed["text"] and "Ann" in listed["text"] and "2 more" in listed["text"]


HOSTILE = "<!channel> Disk full <https://evil.example|Acknowledge here> & more"


def test_the_fallback_text_cannot_ping_the_channel_or_show_a_link_of_its_own():
    message = blocks.incident_message(facts(title=HOSTILE), ["Declared by <@U1>"], 3)
    for text in (message["text"], str(message["blocks"])):
        assert "<!channel>" not in text and "<https://evil" not in text and "<@U1>" not in text
    shown = "&lt;!channel&gt; Disk full &lt;https://evil.example|Acknowledge here&gt; &amp; more"
    assert shown in message["text"]


@given(st.text())
def test_what_keel_escapes_slack_unescapes_to_the_same_text(text):
    escaped = blocks.escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert blocks.unescape(escaped) == text


def test_fit_keeps_whole_lines_and_counts_the_rest():
    lines = [f"line {n} " + "x" * 90 for n in range(50)]
    text = blocks.fit(lines, limit=1000)
    kept = text.split("\n")
    assert len(text) <= 1000 and kept[:-1] == lines[: len(kept) - 1]
    assert kept[-1] == f"…and {50 - (len(kept) - 1)} more."
    assert blocks.fit(["a", "b"], limit=1000) == "a\nb"
    assert blocks.fit(["a"], limit=1000, more=3) == "a\n…and 3 more."


def test_a_published_postmortem_shows_its_title_summary_and_link_escaped():
    postmortem = blocks.PostmortemFacts(
        title="Checkout <errors>", summary="The pool & the queue filled.\n\n" + "word " * 300,
        url="https://keel.example.com/incidents/INC-7/postmortem/",
    )  # fmt: skip
    message = blocks.incident_message(facts(), ["Postmortem published by Ann"], 3, postmortem)
    section = message["blocks"][1]["text"]["text"]
    assert section.startswith(
        "*<https://keel.example.com/incidents/INC-7/postmortem/|Postmortem: Checkout "
        "&lt;errors&gt;>*\nThe pool &amp; the queue filled. word word"
    )
    assert section.endswith("…") and len(section) < 700
    assert "https://keel.example.com/incidents/INC-7/postmortem/" in message["text"]
    assert "Postmortem: Checkout &lt;errors&gt;" in message["text"]

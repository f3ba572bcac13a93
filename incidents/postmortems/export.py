"""The postmortem as one document: what the published page shows and the Markdown download.
When the postmortem was published anonymised, every part of it (sections, factors, action
items and their owners) goes through the same anonymiser.

The Markdown download is read away from Keel (pasted into a wiki, a ticket, an email), so
every link in it is absolute (SITE_URL), and each thing is in it once: contributing factors
and action items are their records, under their section's heading, after any prose the
section has."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from .models import ActionItem, Factor, Postmortem, Section
from .workflow import anonymise_for

# The destination of an inline link or image, "[text](/incidents/INC-1/#event-3)", and of
# a reference definition, "[1]: /incidents/INC-1/": a site-relative path ("/...", not
# "//host") or a fragment ("#..."). Links inside code spans are rewritten too: rare, and an
# absolute URL there is still right.
RELATIVE_INLINE = re.compile(r"(\]\(\s*<?)(/(?!/)|#)")
RELATIVE_REFERENCE = re.compile(r"^(\s{0,3}\[[^\]\n]+\]:\s*<?)(/(?!/)|#)", re.MULTILINE)


@dataclass
class Document:
    title: str
    sections: list[tuple[str, str, str]]  # key, heading, Markdown
    factors: list[tuple[Factor, str]]  # factor, description as shown
    action_items: list[tuple[ActionItem, str, str]]  # item, title as shown, owner as shown


def document(postmortem: Postmortem) -> Document:
    incident = postmortem.incident
    hide: Callable[[str], str] = (
        anonymise_for(incident, postmortem) if postmortem.anonymised else (lambda text: text)
    )
    factors = postmortem.factors.prefetch_related("events")
    items = postmortem.action_items.select_related("owner")
    return Document(
        title=hide(f"{incident.ref}: {incident.title}"),
        sections=[(k, label, hide(text)) for k, label, text in postmortem.section_items()],
        factors=[(f, hide(f.description)) for f in factors],
        action_items=[
            (i, hide(i.title), hide(i.owner.email) if i.owner else "unassigned") for i in items
        ],
    )


def absolute_links(text: str, page: str) -> str:
    """`text` with its site-relative links made absolute; a fragment alone ("#event-3")
    points into `page` (the absolute URL of the page the text was shown on)."""

    def fix(match: re.Match[str]) -> str:
        start = match.group(2)
        return match.group(1) + (page + "#" if start == "#" else settings.SITE_URL + "/")

    return RELATIVE_REFERENCE.sub(fix, RELATIVE_INLINE.sub(fix, text))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _factor_lines(doc: Document, incident_url: str) -> list[str]:
    lines = []
    for factor, description in doc.factors:
        evidence = ", ".join(
            f"[#{e.seq}]({incident_url}#event-{e.seq})" for e in factor.events.all()
        )
        lines.append(f"- **{factor.get_category_display()}**: {description}"
                     + (f" (evidence: {evidence})" if evidence else ""))  # fmt: skip
    return lines


def _item_lines(doc: Document) -> list[str]:
    lines = ["| Action | Owner | Due | Priority | Status |", "|---|---|---|---|---|"]
    for item, title, owner in doc.action_items:
        action = f"[{_cell(title)}]({item.link})" if item.link else _cell(title)
        due = item.due_date.isoformat() if item.due_date else "—"
        cells = [owner, due, item.get_priority_display(), item.get_status_display()]
        lines.append("| " + " | ".join([action, *(_cell(c) for c in cells)]) + " |")
    return lines


def as_markdown(postmortem: Postmortem) -> str:
    doc = document(postmortem)
    incident = postmortem.incident
    incident_url = settings.SITE_URL + incident.get_absolute_url()
    page = settings.SITE_URL + reverse("postmortems:page", args=[incident.ref])
    status = postmortem.get_status_display()
    lines = [
        f"# Postmortem — {doc.title}",
        "",
        f"_Status: {status} · [Incident {incident.ref}]({incident_url}) · "
        f"[This postmortem in Keel]({page})_",
        "",
    ]
    records = {
        Section.FACTORS: (_factor_lines(doc, incident_url) if doc.factors else []),
        Section.ACTIONS: (_item_lines(doc) if doc.action_items else []),
    }
    for key, heading, text in doc.sections:
        parts = [absolute_links(text.strip(), page)] if text.strip() else []
        if records.get(key):
            parts.append("\n".join(absolute_links(line, page) for line in records[key]))
        lines += [f"## {heading}", "", "\n\n".join(parts) or "_(empty)_", ""]
    return "\n".join(lines)

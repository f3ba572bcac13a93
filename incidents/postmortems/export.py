"""The postmortem as one document: what the published page shows and the Markdown download.
When the postmortem was published anonymised, every part of it (sections, factors, action
items and their owners) goes through the same anonymiser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .models import ActionItem, Factor, Postmortem
from .workflow import anonymise_for


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


def as_markdown(postmortem: Postmortem) -> str:
    doc = document(postmortem)
    status = postmortem.get_status_display()
    lines = [f"# Postmortem — {doc.title}", "", f"_Status: {status}_", ""]
    for _key, heading, text in doc.sections:
        lines += [f"## {heading}", "", text.strip() or "_(empty)_", ""]
    if doc.factors:
        lines += ["## Contributing factors (records)", ""]
        for factor, description in doc.factors:
            evidence = ", ".join(f"#{e.seq}" for e in factor.events.all())
            lines.append(f"- **{factor.get_category_display()}**: {description}"
                         + (f" (evidence: {evidence})" if evidence else ""))  # fmt: skip
        lines.append("")
    if doc.action_items:
        lines += ["## Action items (records)", "", "| Action | Owner | Due | Priority | Status |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for item, title, owner in doc.action_items:
            due = item.due_date.isoformat() if item.due_date else "—"
            cells = [title, owner, due, item.get_priority_display(), item.get_status_display()]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)

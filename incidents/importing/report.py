"""What a plan or an apply did (or would do), in sentences a person reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from .document import Note


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "<object>: <why>"
    notes: list[Note] = field(default_factory=list)
    # Integrations created by this apply: {service, kind, name, url, key}, shown this once.
    integrations: list[dict] = field(default_factory=list)
    applied: bool = False  # False for a plan: nothing was changed

    @property
    def changes(self) -> int:
        return len(self.created) + len(self.changed)

    def text(self) -> str:
        verb = ("Created", "Changed") if self.applied else ("Would create", "Would change")
        lines: list[str] = []
        for title, items in (
            (verb[0], self.created),
            (verb[1], self.changed),
            ("Skipped", self.skipped),
        ):
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines.extend(f"  - {item}" for item in items)
        if self.unchanged:
            lines.append(f"Unchanged: {len(self.unchanged)}.")
        if not self.changes:
            lines.append("Nothing to change." if not self.applied else "Nothing changed.")
        if self.notes:
            lines.append(f"Not mapped exactly ({len(self.notes)}):")
            lines.extend(
                f"  - {n['object']}: {n['reason']} Instead: {n['instead']}" for n in self.notes
            )
        if self.integrations:
            lines.append("New integrations: point each sender here (the key is shown only now):")
            for made in self.integrations:
                label = f"{made['kind']} {made['name']!r}" if made["name"] else made["kind"]
                lines.append(f"  - {made['service']}: {label} -> {made['url']} key {made['key']}")
        return "\n".join(lines)

"""`manage.py export_config [file]`: Keel's configuration as one YAML document."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from incidents.importing.export import export_document
from incidents.importing.yaml_io import dump_document


class Command(BaseCommand):
    help = (
        "Write teams, members, schedules (with overrides still to come), escalation policies, "
        "services, integrations, maintenance windows, chat channels and reminder intervals as "
        "one YAML document, for apply_config. Secrets (integration keys, webhook URLs) are "
        "never written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", default="-", help="Where to write; - or none: stdout."
        )

    def handle(self, *args, file: str, **options) -> None:
        text = dump_document(export_document(timezone.now()))
        if file == "-":
            self.stdout.write(text, ending="")
        else:
            Path(file).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {file}.")

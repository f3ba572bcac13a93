"""`manage.py apply_config file [--plan]`: make Keel match a configuration document."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.importing import engine
from incidents.importing.busy import ImportBusy
from incidents.importing.validate import DocumentError
from incidents.importing.yaml_io import load_document


class Command(BaseCommand):
    help = (
        "Make Keel match a YAML document written by export_config (or by hand): creates and "
        "changes what differs, deletes nothing but overrides the file no longer has, and says "
        "what it changed. --plan shows that and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The YAML document; - reads stdin.")
        parser.add_argument("--plan", action="store_true", help="Show what would change.")
        parser.add_argument(
            "--create-users",
            action="store_true",
            help="Create people Keel lacks, inactive (otherwise they are listed and left out).",
        )

    def handle(self, *args, file: str, **options) -> None:
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as problem:
            raise CommandError(f"Cannot read {file}: {problem}") from None
        run = engine.plan if options["plan"] else engine.apply
        try:
            report = run(load_document(text), create_users=options["create_users"])
        except ImportBusy as busy:
            raise CommandError(str(busy)) from None
        except DocumentError as problem:
            raise CommandError(
                f"{file} is not a configuration Keel can apply; nothing was changed:\n"
                + "\n".join(problem.problems)
            ) from None
        self.stdout.write(report.text())

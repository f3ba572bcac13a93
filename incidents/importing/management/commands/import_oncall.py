"""`manage.py import_oncall pagerduty --token ... --plan | --apply [--create-users]`."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from incidents.importing.busy import ImportBusy
from incidents.importing.client import SourceError
from incidents.importing.registry import SOURCES, UnknownSource, load_source
from incidents.importing.run import client_for, run_import
from incidents.importing.validate import DocumentError

# Differences remain after an apply: 2, so a script can tell it from a failure to read (1).
DIFFERENCES_REMAIN = 2


class Command(BaseCommand):
    help = (
        "Move teams, schedules, escalation policies, services and integrations in from "
        "PagerDuty, Opsgenie or Grafana OnCall. --plan shows what would change and changes "
        "nothing; --apply makes the changes (again: updates, never duplicates) and then "
        "compares who is on call over the coming weeks at the source and in Keel."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help=f"{', '.join(SOURCES)} (or a module with SOURCE)")
        parser.add_argument("--url", help="The source API's base URL (default: the vendor's).")
        parser.add_argument(
            "--token",
            help="A read-only API token of the source (or set IMPORT_TOKEN, which keeps it out "
            "of the shell's history and the process list).",
        )
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--plan", action="store_true", help="Show what would change.")
        mode.add_argument("--apply", action="store_true", help="Make the changes.")
        parser.add_argument(
            "--create-users",
            action="store_true",
            help="Create people Keel lacks, inactive (otherwise they are listed and left out).",
        )
        parser.add_argument(
            "--weeks", type=int, default=4, choices=range(1, 13), metavar="1..12",
            help="How many weeks of on-call to compare after --apply (default 4).",
        )  # fmt: skip

    def handle(self, *args, **options) -> None:
        try:
            source = load_source(options["source"])
        except UnknownSource as unknown:
            raise CommandError(str(unknown)) from None
        token = options["token"] or os.environ.get("IMPORT_TOKEN", "")
        if not token:
            raise CommandError("Give the source's API token with --token or IMPORT_TOKEN.")
        try:
            client = client_for(source, token, options["url"])
            result = run_import(
                source,
                client,
                apply=options["apply"],
                create_users=options["create_users"],
                now=timezone.now(),
                weeks=options["weeks"],
            )
        except (SourceError, ImportBusy) as problem:
            raise CommandError(str(problem)) from None
        except DocumentError as problem:
            raise CommandError(
                f"The {source.name} account could not be turned into Keel's terms:\n"
                + "\n".join(problem.problems)
            ) from None
        self.stdout.write(result.text())
        if result.differences:
            raise CommandError(
                f"{len(result.differences)} on-call difference(s) remain (listed above).",
                returncode=DIFFERENCES_REMAIN,
            )

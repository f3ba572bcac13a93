"""Demo data for a first look: a team, people in every role, services and incidents with
realistic timelines. Everything is written through incidents.lifecycle, like real use."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Team, User
from incidents import lifecycle
from incidents.models import IncidentRole, Service, Severity, Status
from incidents.oncall.demo import seed_schedules
from incidents.paging.demo import seed_paging

DEMO_EMAIL = "demo@keel.local"
DEMO_PASSWORD = "keel-demo"  # noqa: S105  (demo only; refused without DEBUG)
# The declared event's `page` choice, read by the paging app: the demo's history pages nobody.
NO_PAGE = {"page": False}

PEOPLE = [
    # email, display name, team slug, role
    (DEMO_EMAIL, "Dana Demo", "platform", Role.ADMIN),
    ("ana@keel.local", "Ana Okafor", "platform", Role.RESPONDER),
    ("ben@keel.local", "Ben Carter", "platform", Role.RESPONDER),
    ("chen@keel.local", "Chen Wei", "payments", Role.ADMIN),
    ("priya@keel.local", "Priya Nair", "payments", Role.RESPONDER),
    ("vic@keel.local", "Vic Viewer", "platform", Role.VIEWER),
]
SERVICES = [
    ("api-gateway", "Public HTTPS entry point; routes to every backend.", "platform"),
    ("checkout", "Cart, checkout and order confirmation.", "payments"),
    ("payments-db", "PostgreSQL cluster behind payments.", "payments"),
    ("search", "Product search and suggestions.", "platform"),
    ("auth", "Login, sessions and email verification.", "platform"),
]


class Command(BaseCommand):
    help = "Create demo teams, people, services and incidents (skipped if they exist)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help=f"Password for the demo people (default {DEMO_PASSWORD!r}, only with DEBUG).",
        )

    def handle(self, *args, password: str | None = None, **options):
        if password is None:
            if not settings.DEBUG:
                raise CommandError(
                    "Refusing to create demo people with a well-known password while DEBUG is "
                    "off. Pass --password to choose one."
                )
            password = DEMO_PASSWORD
        if User.objects.filter(email=DEMO_EMAIL).exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        with transaction.atomic():
            people = self._people(password)
            services = self._services()
            self._incidents(people, services)
            seed_schedules(self.teams, timezone.now())
        # The demo incidents are declared with paging off (NO_PAGE): neither their hooks nor
        # the paging auditor page anyone for them. Incidents declared from now on page.
        with transaction.atomic():
            seed_paging(self.teams)
        self.stdout.write(self.style.SUCCESS(f"Demo data created. Log in as {DEMO_EMAIL}."))

    def _people(self, password: str) -> dict[str, User]:
        teams = {
            "platform": Team.objects.get_or_create(
                slug="platform", defaults={"name": "Platform", "description": "Edge, search, auth."}
            )[0],
            "payments": Team.objects.get_or_create(
                slug="payments", defaults={"name": "Payments", "description": "Money paths."}
            )[0],
        }
        people = {}
        for email, name, team, role in PEOPLE:
            user = User.objects.create_user(
                email,
                password,
                display_name=name,
                is_staff=email == DEMO_EMAIL,
                is_superuser=email == DEMO_EMAIL,
            )
            Membership.objects.create(team=teams[team], user=user, role=role)
            people[email.split("@")[0]] = user
        # Dana helps Payments too, as a responder.
        Membership.objects.create(team=teams["payments"], user=people["demo"], role=Role.RESPONDER)
        self.teams = teams
        return people

    def _services(self) -> dict[str, Service]:
        return {
            name: Service.objects.get_or_create(
                name=name, defaults={"description": description, "team": self.teams[team]}
            )[0]
            for name, description, team in SERVICES
        }

    def _incidents(self, p: dict[str, User], s: dict[str, Service]) -> None:
        now = timezone.now()

        def ago(**delta: int):
            return now - timedelta(**delta)

        # A resolved SEV1 with the whole arc, from detection to resolution.
        inc = lifecycle.declare(
            p["chen"],
            data=NO_PAGE,
            commander=p["ana"],
            title="Checkout requests failing in eu-west",
            severity=Severity.SEV1,
            team=self.teams["payments"],
            services=[s["checkout"], s["payments-db"]],
            summary="About 30% of checkout requests in eu-west return 503 since 09:12 UTC.",
            impact_started_at=ago(minutes=40),
        )
        lifecycle.assign_role(inc, p["ana"], IncidentRole.COMMUNICATIONS, p["priya"])
        lifecycle.assign_role(inc, p["ana"], IncidentRole.RESPONDER, p["ben"])
        lifecycle.add_note(
            inc,
            p["chen"],
            "Connection pool on `payments-db` primary is at its limit (500/500).",
            occurred_at=ago(minutes=12),
        )
        lifecycle.add_note(
            inc,
            p["priya"],
            "Status page updated: *degraded checkout in Europe*.",
        )
        lifecycle.set_status(
            inc, p["ana"], Status.IDENTIFIED, "The 09:05 deploy doubled connections per worker."
        )
        lifecycle.add_note(
            inc, p["chen"], "Rolled back checkout to v2024.11.3. Pool usage falling: 310/500."
        )
        lifecycle.set_status(inc, p["ana"], Status.MONITORING, "Error rate back under 0.1%.")
        lifecycle.resolve(inc, p["ana"], "Stable for 30 minutes. Postmortem to follow.")

        # An open SEV2 being worked on right now.
        inc = lifecycle.declare(
            p["ben"],
            data=NO_PAGE,
            title="Search latency p95 above 2s",
            severity=Severity.SEV2,
            team=self.teams["platform"],
            services=[s["search"], s["api-gateway"]],
            summary="Search p95 latency climbed from 300 ms to 2.4 s. Results still correct.",
        )
        lifecycle.assign_role(inc, p["ben"], IncidentRole.SCRIBE, p["demo"])
        lifecycle.add_note(inc, p["ben"], "Index shard 3 is rebalancing; the others look healthy.")
        lifecycle.set_status(
            inc,
            p["ben"],
            Status.IDENTIFIED,
            "Rebalance triggered by the node replacement at 13:40.",
        )
        lifecycle.add_note(inc, p["demo"], "Throttled the rebalance to 50 MB/s. Watching latency.")

        # Raised by monitoring, nobody has acknowledged it yet.
        inc = lifecycle.declare(
            None,
            title="Login emails delayed by more than 10 minutes",
            severity=Severity.SEV3,
            team=self.teams["platform"],
            services=[s["auth"]],
            summary="Alert: `email_queue_age_seconds > 600` for 5 minutes.",
            data={"source": "alertmanager", **NO_PAGE},
        )

        # A false alarm, declined.
        inc = lifecycle.declare(
            p["ana"],
            data=NO_PAGE,
            title="Dashboard graphs missing for ap-south",
            severity=Severity.SEV4,
            team=self.teams["platform"],
            services=[s["api-gateway"]],
        )
        lifecycle.add_note(
            inc, p["ana"], "Metrics agent was restarting after an upgrade; data is back."
        )
        lifecycle.decline(inc, p["ana"], "Not an incident: a monitoring gap, no user impact.")

        # Private: only Payments, people with a role, and staff can see it.
        inc = lifecycle.declare(
            p["chen"],
            data=NO_PAGE,
            title="Unusual refund volume from one merchant account",
            severity=Severity.SEV2,
            team=self.teams["payments"],
            services=[s["checkout"]],
            private=True,
            summary="Refund requests 40x the usual rate from one account.",
        )
        lifecycle.add_note(inc, p["priya"], "Refunds paused for that account while we look.")

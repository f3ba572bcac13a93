"""Print a new VAPID key pair for Web Push, as the environment takes it."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from incidents.paging.providers import webpush


class Command(BaseCommand):
    help = "Print a new VAPID key pair (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY) for Web Push."

    def handle(self, *args, **options) -> None:
        public, private = webpush.new_vapid_keys()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}\nVAPID_PRIVATE_KEY={private}\n")
        self.stdout.write(
            "# Keep the private key secret. Changing the pair invalidates every browser's "
            "subscription: each device must enable notifications again.\n"
        )

from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="issued by manage.py issue_token")

    def handle(self, email: str, name: str, **options):
        try:
            user = User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            raise CommandError(f"No user with email {email}.") from None
        if not user.is_active:
            raise CommandError(f"{email} is deactivated; activate the account first.")
        _token, raw = ApiToken.issue(user, name[:100])
        self.stdout.write(raw)

"""Every contact method gets its own "at once" rule when it has none (methods made before
each one kept its own rules): what the engine already does for such a method, written down
so the profile and the API show it."""

from django.db import migrations


def add_at_once(apps, schema_editor):
    ContactMethod = apps.get_model("paging", "ContactMethod")
    NotificationRule = apps.get_model("paging", "NotificationRule")
    bare = ContactMethod.objects.filter(rules__isnull=True)
    NotificationRule.objects.bulk_create(
        [NotificationRule(contact_method=method, delay_minutes=0) for method in bare]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("paging", "0004_escalation_snoozed_until"),
    ]

    operations = [
        migrations.RunPython(add_at_once, migrations.RunPython.noop),
    ]

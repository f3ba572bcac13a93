from django.db import migrations


def create_counter(apps, schema_editor):
    # Created here, not on first use, so two first declarations cannot race to create it.
    apps.get_model("incidents", "RefCounter").objects.get_or_create(name="incident")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(create_counter, migrations.RunPython.noop)]

from django.db import migrations, models


def earlier_paths(apps, schema_editor):
    """Changes recorded before the path was kept: an import's, an erratum's, else the admin's
    (a return's publishing wrote the same rows as an admin save)."""
    ValueChange = apps.get_model("indicators", "ValueChange")
    ValueChange.objects.filter(import_run__isnull=False).update(via="import")
    ValueChange.objects.filter(import_run__isnull=True, reason__startswith="Erratum").update(
        via="erratum"
    )


class Migration(migrations.Migration):
    dependencies = [("indicators", "0005_errata_and_field_sources")]

    operations = [
        migrations.AddField(
            model_name="valuechange",
            name="via",
            field=models.CharField(
                choices=[
                    ("import", "Imported"),
                    ("admin", "Edited in the admin"),
                    ("return", "Published from a return"),
                    ("erratum", "Corrected by an erratum"),
                ],
                default="admin",
                help_text="The write path that made the change.",
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(earlier_paths, migrations.RunPython.noop),
    ]

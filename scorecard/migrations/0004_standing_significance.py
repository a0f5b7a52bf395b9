from django.db import migrations, models


def empty_the_store(apps, schema_editor):
    # The comparability, significance and minimum-base rules change stored results: with the
    # store empty, `freshness.fill_if_empty` rebuilds it after `migrate`.
    apps.get_model("scorecard", "Standing").objects.all().delete()
    apps.get_model("scorecard", "Summary").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scorecard", "0003_store_quarters"),
    ]

    operations = [
        migrations.AddField(
            model_name="standing",
            name="significance",
            field=models.CharField(
                blank=True,
                help_text="Whether the direction's change was tested against both periods' "
                "uncertainty: significant, not_significant (then static), not_tested; blank "
                "when not comparable or judged by the measure's own tolerance or its ratings.",
                max_length=20,
            ),
        ),
        migrations.RunPython(empty_the_store, migrations.RunPython.noop),
    ]

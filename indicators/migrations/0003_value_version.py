from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('indicators', '0002_collection_and_number_checks'),
    ]

    operations = [
        migrations.AddField(
            model_name='value',
            name='version',
            field=models.PositiveIntegerField(default=1, help_text='Counts the saves of the value: an admin form opened at an earlier version is refused, so no change is lost.'),
        ),
    ]

# TrackingOutbox moves to the tracking app: only Django's state changes; the table stays as it is.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0002_evaluation'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='TrackingOutbox')],
            database_operations=[],
        ),
    ]

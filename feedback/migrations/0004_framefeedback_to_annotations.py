# FrameFeedback (frame ratings) moves to the annotations app: only Django's state changes; the
# table stays as it is.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0003_trackingoutbox_to_tracking'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='FrameFeedback')],
            database_operations=[],
        ),
    ]

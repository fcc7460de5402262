# TrackingOutbox, moved here from the feedback app: its table (feedback_trackingoutbox) is kept,
# so this only tells Django's state where the model lives now; no data moves.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('feedback', '0003_trackingoutbox_to_tracking'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='TrackingOutbox',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(max_length=32)),
                        ('key', models.CharField(help_text='Idempotency key: one run per key.', max_length=100, unique=True)),
                        ('payload', models.JSONField(default=dict)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('last_error', models.TextField(blank=True)),
                        ('run_id', models.CharField(blank=True, max_length=64)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'feedback_trackingoutbox',
                        'ordering': ['id'],
                        'indexes': [models.Index(fields=['sent_at', 'id'], name='outbox_pending_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

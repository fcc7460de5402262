# FrameFeedback (frame ratings), moved here from the feedback app: its table (feedback_framefeedback)
# is kept, so this only tells Django's state where the model lives now; no data moves.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotations', '0006_label_position'),
        ('feedback', '0004_framefeedback_to_annotations'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FrameFeedback',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rating', models.SmallIntegerField(choices=[(1, 'Positive'), (0, 'Neutral'), (-1, 'Negative')])),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('image', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='feedback', to='annotations.image')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='frame_feedback', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'feedback_framefeedback',
                        'constraints': [models.UniqueConstraint(fields=('image', 'user'), name='feedback_one_per_user_per_image'), models.CheckConstraint(condition=models.Q(('rating__in', [-1, 0, 1])), name='feedback_rating_valid')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

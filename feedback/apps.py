from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self):
        # Connects the logout receiver that closes annotation sessions.
        from feedback.tracking import signals  # noqa: F401

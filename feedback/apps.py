from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self):
        # Services import models, so they load once the app registry is ready, not with this module.
        from feedback.evaluation.datasheet import datasheet_section_install
        from feedback.evaluation.runner import evaluations_chore_register
        from feedback.tracking import signals  # noqa: F401  (connects the logout receiver that closes sessions)
        from feedback.tracking.sessions import sessions_chore_register

        sessions_chore_register()
        evaluations_chore_register()  # the workers drive the evaluations started from the API
        datasheet_section_install()

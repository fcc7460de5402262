from django.contrib import admin

from feedback.models import AnnotationSession


@admin.register(AnnotationSession)
class AnnotationSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "started_at", "last_activity_at", "ended_at", "mlflow_run_id"]
    list_filter = ["project", "ended_at"]
    search_fields = ["user__username", "mlflow_run_id"]
    list_select_related = ["project", "user"]

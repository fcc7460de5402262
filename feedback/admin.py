from django.contrib import admin

from feedback.models import AnnotationSession, FrameFeedback, TrackingOutbox


@admin.register(FrameFeedback)
class FrameFeedbackAdmin(admin.ModelAdmin):
    list_display = ["image", "user", "rating", "updated_at"]
    list_filter = ["rating", "image__project"]
    search_fields = ["user__username"]
    list_select_related = ["image__project", "user"]
    raw_id_fields = ["image"]


@admin.register(AnnotationSession)
class AnnotationSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "started_at", "last_activity_at", "ended_at", "mlflow_run_id"]
    list_filter = ["project", "ended_at"]
    search_fields = ["user__username", "mlflow_run_id"]
    list_select_related = ["project", "user"]


@admin.register(TrackingOutbox)
class TrackingOutboxAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "key", "attempts", "sent_at", "run_id", "created_at"]
    list_filter = ["kind", "sent_at"]
    search_fields = ["key", "run_id", "last_error"]
    readonly_fields = ["payload", "last_error", "created_at"]

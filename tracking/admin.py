from django.contrib import admin

from tracking.models import TrackingOutbox


@admin.register(TrackingOutbox)
class TrackingOutboxAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "key", "attempts", "sent_at", "run_id", "created_at"]
    list_filter = ["kind", "sent_at"]
    search_fields = ["key", "run_id", "last_error"]
    readonly_fields = ["payload", "last_error", "created_at"]

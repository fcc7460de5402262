from django.contrib import admin

from inference.models import DetectionJob, Prediction


class PredictionInline(admin.TabularInline):
    model = Prediction
    extra = 0
    fields = ["prompt", "rank", "x_min", "y_min", "x_max", "y_max", "score", "status", "decided_by"]
    readonly_fields = fields
    can_delete = False


@admin.register(DetectionJob)
class DetectionJobAdmin(admin.ModelAdmin):
    list_display = ["id", "image", "status", "backend", "model", "revision", "device", "created_at", "finished_at"]
    list_filter = ["status", "backend", "revision"]
    search_fields = ["error", "image__project__name"]
    list_select_related = ["image__project"]
    raw_id_fields = ["image"]
    readonly_fields = ["timings", "created_at", "started_at", "heartbeat_at", "finished_at", "mlflow_run_id"]
    inlines = [PredictionInline]


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ["id", "prompt", "image", "score", "status", "decided_by", "decided_at"]
    list_filter = ["status", "prompt", "job__revision"]
    search_fields = ["prompt"]
    list_select_related = ["image__project", "decided_by"]
    raw_id_fields = ["job", "image", "label"]

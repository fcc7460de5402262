"""Django admin: the operator's view of projects, frames, boxes and their history."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.html import format_html, format_html_join

from annotations.errors import Conflict
from annotations.models import (
    AnnotationEvent,
    Box,
    DatasetVersion,
    FrameFeedback,
    Image,
    Invite,
    Label,
    Membership,
    Project,
    Sequence,
    Track,
)
from annotations.services.invites import invite_revoke

THUMB_WIDTH = 240


def image_with_boxes(image: Image, boxes, width: int = THUMB_WIDTH) -> str:
    """An SVG of the frame with its boxes drawn, scaled to `width`; the bytes come from the permission-checked API."""
    scale = width / image.width
    height = round(image.height * scale)
    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{}" stroke-width="2"'
        ' stroke-dasharray="{}"><title>{}</title></rect>',
        (
            (
                round(b.x_min * scale, 1),
                round(b.y_min * scale, 1),
                round((b.x_max - b.x_min) * scale, 1),
                round((b.y_max - b.y_min) * scale, 1),
                b.label.color,
                "none" if b.keyframe and b.source == "human" else "4 3",
                b.label.name,
            )
            for b in boxes
        ),
    )
    return format_html(
        '<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="frame {f}">'
        '<image href="/api/images/{pk}/file/?thumb=256" width="{w}" height="{h}"/>{rects}</svg>',
        w=width,
        h=height,
        f=image.frame_index,
        pk=image.pk,
        rects=rects,
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


class LabelInline(admin.TabularInline):
    model = Label
    extra = 1


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "created_by", "created_at", "member_count", "image_count"]
    search_fields = ["name", "description"]
    list_filter = ["created_at"]
    inlines = [MembershipInline, LabelInline]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(_members=Count("memberships", distinct=True), _images=Count("images", distinct=True))
        )

    @admin.display(ordering="_members", description="members")
    def member_count(self, obj):
        return obj._members

    @admin.display(ordering="_images", description="frames")
    def image_count(self, obj):
        return obj._images


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    """Invites are made on the project page (the link is shown once there); here they are listed and revoked."""

    list_display = ["project", "role", "email", "state", "created_by", "created_at", "expires_at", "used_by"]
    list_filter = ["role", "project"]
    search_fields = ["email", "project__name", "created_by__username", "used_by__username"]
    list_select_related = ["project", "created_by", "used_by"]
    readonly_fields = [f.name for f in Invite._meta.fields if f.name != "token_hash"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="state")
    def state(self, obj):
        return obj.state()

    @admin.action(description="Revoke the selected invites")
    def revoke(self, request, queryset):
        revoked = 0
        for invite in queryset:
            try:
                invite_revoke(invite=invite, user=request.user)
                revoked += 1
            except Conflict:
                self.message_user(request, f"{invite} was already used; it stays as it is.", messages.WARNING)
        self.message_user(request, f"Revoked {revoked} invite{'s' if revoked != 1 else ''}.")


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "color", "prompt"]
    list_filter = ["project"]
    search_fields = ["name", "prompt", "project__name"]


class BoxInline(admin.TabularInline):
    model = Box
    extra = 0
    fields = ["label", "x_min", "y_min", "x_max", "y_max", "source", "version", "deleted", "updated_by"]
    readonly_fields = ["version", "updated_by"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("label", "updated_by")


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "thumbnail", "project", "frame_index", "status", "width", "height", "live_boxes"]
    list_filter = ["status", "project", "format"]
    search_fields = ["original_name", "sha256", "project__name"]
    list_select_related = ["project"]
    readonly_fields = ["preview", "sha256", "width", "height", "format", "created_at", "updated_at"]
    inlines = [BoxInline]
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_boxes=Count("boxes", filter=Q(boxes__deleted=False)))

    @admin.display(ordering="_boxes", description="boxes")
    def live_boxes(self, obj):
        return obj._boxes

    @admin.display(description="frame")
    def thumbnail(self, obj):
        return format_html('<img src="/api/images/{}/file/?thumb=256" width="96" alt="">', obj.pk)

    @admin.display(description="frame with boxes")
    def preview(self, obj):
        if not obj.pk:
            return "-"
        boxes = obj.boxes.filter(deleted=False).select_related("label")
        return image_with_boxes(obj, boxes, width=480)


@admin.register(Box)
class BoxAdmin(admin.ModelAdmin):
    list_display = [
        "id", "image", "label", "x_min", "y_min", "x_max", "y_max", "source", "track", "keyframe", "version", "deleted"
    ]
    list_filter = ["source", "keyframe", "deleted", "label__project"]
    search_fields = ["label__name", "image__original_name"]
    list_select_related = ["image__project", "label", "track"]
    raw_id_fields = ["image", "prediction", "track"]
    readonly_fields = ["version", "created_by", "updated_by", "created_at", "updated_at"]


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "frame_count", "created_at"]
    list_filter = ["project"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project").annotate(frame_total=Count("images"))

    @admin.display(ordering="frame_total", description="frames")
    def frame_count(self, obj):
        return obj.frame_total


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "project", "sequence", "live_boxes", "created_at"]
    list_filter = ["project", "label"]
    list_select_related = ["project", "label", "sequence"]
    raw_id_fields = ["sequence", "created_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(box_total=Count("boxes", filter=Q(boxes__deleted=False)))

    @admin.display(ordering="box_total", description="boxes")
    def live_boxes(self, obj):
        return obj.box_total


@admin.register(AnnotationEvent)
class AnnotationEventAdmin(admin.ModelAdmin):
    """History is evidence: readable, never editable."""

    list_display = ["created_at", "action", "image", "box", "user", "undone"]
    list_filter = ["action", "undone", "image__project"]
    search_fields = ["user__username"]
    list_select_related = ["image__project", "user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "project", "format", "only", "git_rev", "dvc_hash", "mlflow_run_id"]
    list_filter = ["format", "only", "project"]
    search_fields = ["git_rev", "dvc_hash", "mlflow_run_id", "path"]
    readonly_fields = [f.name for f in DatasetVersion._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(FrameFeedback)
class FrameFeedbackAdmin(admin.ModelAdmin):
    list_display = ["image", "user", "rating", "updated_at"]
    list_filter = ["rating", "image__project"]
    search_fields = ["user__username"]
    list_select_related = ["image__project", "user"]
    raw_id_fields = ["image"]

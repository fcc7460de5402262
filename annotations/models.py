"""Projects, their members and labels, frames, boxes and the history of every change."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    ANNOTATOR = "annotator", "Annotator"
    REVIEWER = "reviewer", "Reviewer"
    MANAGER = "manager", "Manager"


# Each role can do everything the roles before it can.
ROLE_RANK = {Role.ANNOTATOR: 1, Role.REVIEWER: 2, Role.MANAGER: 3}


class Project(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Four-eyes review: off, a reviewer cannot approve or reject a frame they submitted
    # themselves unless nobody else in the project could review it.
    allow_self_review = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    class Meta:
        ordering = ["name"]
        constraints = [
            # "CaseX" and "casex" are one name to people; the database holds that, not a check before insert.
            models.UniqueConstraint(Lower("name"), name="project_name_unique_ignoring_case"),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user_per_project"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} in {self.project} as {self.role}"


class Invite(models.Model):
    """A single-use, expiring link that lets its holder join a project with a role.

    Only the SHA-256 of the token is stored: the link is shown once, to the manager who made
    it, and a copy of the database cannot be turned into working links.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invites")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    # Shown to the managers to tell invites apart; never used to look an account up.
    email = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(role__in=Role.values), name="invite_role_valid")]

    def __str__(self):
        return f"Invite to {self.project} as {self.role}" + (f" for {self.email}" if self.email else "")

    def state(self, now=None) -> str:
        """`used`, `revoked`, `expired` or `active` (only an active invite can be used)."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "active"


hex_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Colour must look like #1f77b4.")
prompt_text = RegexValidator(
    r"^[A-Za-z][A-Za-z \-]{0,31}$", "A prompt is one noun: letters, spaces or hyphens, at most 32 characters."
)


class Label(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=7, default="#1f77b4", validators=[hex_color])
    prompt = models.CharField(max_length=32, blank=True, validators=[prompt_text])
    position = models.PositiveIntegerField(default=0, help_text="Order in the project's label list (then id).")

    class Meta:
        ordering = ["project_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(F("project"), Lower("name"), name="label_name_unique_ignoring_case_per_project"),
            models.CheckConstraint(condition=~Q(name=""), name="label_name_not_empty"),
        ]

    def __str__(self):
        return self.name

    @property
    def effective_prompt(self) -> str:
        return self.prompt or self.name


class Sequence(models.Model):
    """An ordered run of frames (one clip); its frames are ordered by `Image.frame_index`.

    Ingest makes one per upload batch or zip folder; people may rename it or move frames.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sequences")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "id"]
        constraints = [
            models.UniqueConstraint(F("project"), Lower("name"), name="sequence_name_unique_ignoring_case"),
            models.CheckConstraint(condition=~Q(name=""), name="sequence_name_not_empty"),
        ]

    def __str__(self):
        return self.name


class ImageStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


def image_upload_to(instance: "Image", filename: str) -> str:
    # Content-addressed: the stored name never comes from the uploader.
    return f"projects/{instance.project_id}/{instance.sha256[:2]}/{instance.sha256}.{instance.file_extension}"


class Image(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to=image_upload_to, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=16, help_text="Format Pillow detected, e.g. PNG, JPEG.")
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    frame_index = models.PositiveIntegerField(default=0)
    sequence = models.ForeignKey(
        Sequence, null=True, blank=True, on_delete=models.SET_NULL, related_name="images"
    )
    status = models.CharField(max_length=16, choices=ImageStatus.choices, default=ImageStatus.NEW)
    metadata = models.JSONField(default=dict, blank=True)
    review_comment = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project_id", "frame_index", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sha256"], name="image_unique_sha256_per_project"),
            models.CheckConstraint(condition=Q(width__gt=0) & Q(height__gt=0), name="image_size_positive"),
            models.CheckConstraint(condition=Q(status__in=ImageStatus.values), name="image_status_valid"),
        ]
        indexes = [
            models.Index(fields=["project", "frame_index"], name="image_project_frame_idx"),
            models.Index(fields=["project", "status"], name="image_project_status_idx"),
            models.Index(fields=["sequence", "frame_index"], name="image_sequence_frame_idx"),
        ]

    def __str__(self):
        return f"{self.project} #{self.frame_index}"

    @property
    def file_extension(self) -> str:
        return {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "BMP": "bmp", "TIFF": "tif"}.get(
            self.format, "bin"
        )


class BoxSource(models.TextChoices):
    HUMAN = "human", "Human"
    AI = "ai", "AI"
    INTERPOLATED = "interpolated", "Interpolated"
    TRACKED = "tracked", "Tracked"


class Track(models.Model):
    """One object followed across the frames of a sequence: at most one live box per frame."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tracks")
    sequence = models.ForeignKey(Sequence, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks")
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="tracks")
    # Shown on the canvas ("#3"); per project, so people can name an object out loud.
    number = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="track_number_unique_per_project"),
            models.CheckConstraint(condition=Q(number__gte=1), name="track_number_positive"),
        ]

    def __str__(self):
        return f"{self.label} #{self.number}"


class Box(models.Model):
    """A bounding box in pixel coordinates of the original image."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="boxes")
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="boxes")
    x_min = models.FloatField()
    y_min = models.FloatField()
    x_max = models.FloatField()
    y_max = models.FloatField()
    source = models.CharField(max_length=16, choices=BoxSource.choices, default=BoxSource.HUMAN)
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="boxes")
    # True for a box a person drew, adjusted or confirmed; interpolated and tracked boxes are not
    # keyframes until someone edits them (then interpolation treats them as fixed points).
    keyframe = models.BooleanField(default=True)
    prediction = models.ForeignKey(
        "inference.Prediction", null=True, blank=True, on_delete=models.SET_NULL, related_name="boxes"
    )
    version = models.PositiveIntegerField(default=1)
    deleted = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The client's Idempotency-Key of the create request: a retried create (its 201 was lost)
    # finds this box instead of making a second one.
    client_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["image_id", "id"]
        verbose_name_plural = "boxes"
        constraints = [
            models.UniqueConstraint(
                fields=["image", "client_key"], condition=Q(client_key__isnull=False), name="box_client_key_unique"
            ),
            models.CheckConstraint(condition=Q(x_min__lt=F("x_max")), name="box_x_min_lt_x_max"),
            models.CheckConstraint(condition=Q(y_min__lt=F("y_max")), name="box_y_min_lt_y_max"),
            models.CheckConstraint(condition=Q(x_min__gte=0) & Q(y_min__gte=0), name="box_min_not_negative"),
            models.CheckConstraint(condition=Q(version__gte=1), name="box_version_positive"),
            models.CheckConstraint(condition=Q(source__in=BoxSource.values), name="box_source_valid"),
            models.UniqueConstraint(
                fields=["track", "image"],
                condition=Q(track__isnull=False, deleted=False),
                name="box_one_live_box_per_track_per_frame",
            ),
        ]
        indexes = [models.Index(fields=["image", "deleted"], name="box_image_live_idx")]

    def __str__(self):
        return f"{self.label} [{self.x_min:.0f},{self.y_min:.0f},{self.x_max:.0f},{self.y_max:.0f}]"

    def clean(self):
        """Invariants the database cannot hold across tables: inside the image, label of its project."""
        errors = {}
        if self.label_id and self.image_id and self.label.project_id != self.image.project_id:
            errors["label"] = "The label belongs to another project."
        if self.image_id:
            if self.x_max > self.image.width:
                errors["x_max"] = f"x_max must be at most the image width ({self.image.width})."
            if self.y_max > self.image.height:
                errors["y_max"] = f"y_max must be at most the image height ({self.image.height})."
        if self.x_min < 0:
            errors["x_min"] = "x_min must not be negative."
        if self.y_min < 0:
            errors["y_min"] = "y_min must not be negative."
        if self.x_min >= self.x_max:
            errors["x_max"] = "x_max must be greater than x_min."
        if self.y_min >= self.y_max:
            errors["y_max"] = "y_max must be greater than y_min."
        if errors:
            raise ValidationError(errors)

    @property
    def coords(self) -> dict:
        return {"x_min": self.x_min, "y_min": self.y_min, "x_max": self.x_max, "y_max": self.y_max}


class EventAction(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    UNDO = "undo", "Undo"
    REDO = "redo", "Redo"
    SUBMIT = "submit", "Submit"
    REVIEW = "review", "Review"
    ACCEPT = "accept", "Accept AI box"
    REJECT = "reject", "Reject AI box"
    FEEDBACK = "feedback", "Frame feedback"


class AnnotationEvent(models.Model):
    """One change to a frame, with the state before and after.

    Undo and redo are computed from these rows per user per image: `undone` marks an
    event whose effect is currently reverted; `reverts` links an undo/redo event to
    the event it acted on.
    """

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="events")
    box = models.ForeignKey(Box, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16, choices=EventAction.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    undone = models.BooleanField(default=False)
    reverts = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Events of one user action that are undone and redone together, across frames (copy forward,
    # interpolation): one UPDATE marks them, one index lookup finds them. (Accept-all, older, keeps
    # its key in `after["group"]`.)
    group = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["image_id", "id"]
        indexes = [
            models.Index(fields=["image", "user", "id"], name="event_image_user_idx"),
            models.Index(fields=["group"], condition=Q(group__isnull=False), name="event_group_idx"),
        ]

    def __str__(self):
        return f"{self.action} on {self.image_id} by {self.user_id}"


class DatasetVersion(models.Model):
    """One export of a project's annotations, optionally versioned in the DVC repo."""

    class Format(models.TextChoices):
        COCO = "coco", "COCO"
        YOLO = "yolo", "YOLO"
        VOC = "voc", "Pascal VOC"
        MOT = "mot", "MOTChallenge"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="dataset_versions")
    format = models.CharField(max_length=8, choices=Format.choices)
    only = models.CharField(max_length=16, default="approved")
    path = models.CharField(max_length=500)
    git_rev = models.CharField(max_length=64, blank=True)
    dvc_hash = models.CharField(max_length=128, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    mlflow_run_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.project} {self.format} {self.git_rev[:8] or self.pk}"


class Rating(models.IntegerChoices):
    POSITIVE = 1, "Positive"
    NEUTRAL = 0, "Neutral"
    NEGATIVE = -1, "Negative"


class FrameFeedback(models.Model):
    """A user's rating of a frame; clearing the rating deletes the row."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="frame_feedback")
    rating = models.SmallIntegerField(choices=Rating.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "feedback_framefeedback"  # created by the feedback app; moved without moving data
        constraints = [
            models.UniqueConstraint(fields=["image", "user"], name="feedback_one_per_user_per_image"),
            models.CheckConstraint(condition=Q(rating__in=[-1, 0, 1]), name="feedback_rating_valid"),
        ]

    def __str__(self):
        return f"{self.user} rated {self.image_id}: {self.rating:+d}"

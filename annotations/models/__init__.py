"""Projects, their members and labels, frames, boxes and the history of every change.

One module per concern; every model (and the choices and helpers that go with them) is
importable from here, as `from annotations.models import Box`, and the migrations name
`annotations.models.image_upload_to`.
"""

from annotations.models.projects import ROLE_RANK, Label, Membership, Project, Role, hex_color, prompt_text
from annotations.models.invites import Invite
from annotations.models.images import FrameFeedback, Image, ImageStatus, Rating, Sequence, image_upload_to
from annotations.models.boxes import Box, BoxSource, Track
from annotations.models.events import AnnotationEvent, EventAction
from annotations.models.datasets import DatasetVersion

__all__ = [
    "ROLE_RANK",
    "AnnotationEvent",
    "Box",
    "BoxSource",
    "DatasetVersion",
    "EventAction",
    "FrameFeedback",
    "Image",
    "ImageStatus",
    "Invite",
    "Label",
    "Membership",
    "Project",
    "Rating",
    "Role",
    "Sequence",
    "Track",
    "hex_color",
    "image_upload_to",
    "prompt_text",
]

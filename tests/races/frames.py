"""Set-up rows for one race round: a project with members, labels, a frame and AI boxes; and
reads of the final state through the API."""

from dataclasses import dataclass, field

from annotations.models import Role
from inference.models import DetectionJob, JobStatus, Prediction
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory
from tests.races.harness import api_client


@dataclass
class Frame:
    project: object
    image: object
    label: object
    users: list = field(default_factory=list)
    predictions: list = field(default_factory=list)

    def clients(self) -> list:
        """One API client per member, in the order of `users`."""
        return [api_client(user) for user in self.users]


def frame_make(*, roles=(Role.ANNOTATOR, Role.ANNOTATOR), predictions: int = 0) -> Frame:
    """A fresh project with one member per role, a `person` label, a 640x480 frame and `predictions`
    pending AI boxes of that label (a finished job)."""
    project = ProjectFactory()
    users = []
    for role in roles:
        user = UserFactory()
        MembershipFactory(project=project, user=user, role=role)
        users.append(user)
    label = LabelFactory(project=project, name="person")
    image = ImageFactory(project=project, width=640, height=480)
    frame = Frame(project=project, image=image, label=label, users=users)
    if predictions:
        job = DetectionJob.objects.create(image=image, prompts=["person"], status=JobStatus.DONE, created_by=users[0])
        frame.predictions = [
            Prediction.objects.create(job=job, image=image, label=label, prompt="person", rank=rank,
                                      x_min=10 + rank, y_min=10, x_max=60 + rank, y_max=70, score=0.9)  # fmt: skip
            for rank in range(predictions)
        ]
    return frame


def listed(client, path: str, **params) -> list[dict]:
    response = client.get(path, {"page_size": 10_000, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def predictions_of(client, image) -> dict[int, dict]:
    return {p["id"]: p for p in listed(client, f"/api/images/{image.pk}/predictions/")}


def boxes_of(client, image) -> list[dict]:
    return listed(client, f"/api/images/{image.pk}/boxes/")


def history_of(client, image) -> list[dict]:
    """The frame's events, oldest first."""
    return list(reversed(listed(client, f"/api/images/{image.pk}/history/")))

"""factory_boy factories; images are real PNGs written to the (temporary) media storage."""

import hashlib
import io

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from PIL import Image as PILImage

from annotations.models import Box, Image, Label, Membership, Project, Role


def png_bytes(width: int = 64, height: int = 48, color=(120, 30, 200)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ANNOTATOR


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"label{n}")
    color = "#ff7f0e"


class ImageFactory(factory.django.DjangoModelFactory):
    """A stored PNG frame; pass `width`/`height`, and `color` to make distinct files."""

    class Meta:
        model = Image
        exclude = ("color", "content")

    project = factory.SubFactory(ProjectFactory)
    width = 64
    height = 48
    frame_index = factory.Sequence(lambda n: n)
    format = "PNG"
    color = factory.Sequence(lambda n: (n % 256, (n // 256) % 256, (n // 65536) % 256))
    content = factory.LazyAttribute(lambda o: png_bytes(o.width, o.height, o.color))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    original_name = factory.LazyAttribute(lambda o: f"frame{o.frame_index}.png")
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name="frame.png"))


class BoxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Box

    image = factory.SubFactory(ImageFactory)
    label = factory.LazyAttribute(lambda o: LabelFactory(project=o.image.project))
    x_min = 1
    y_min = 2
    x_max = 30
    y_max = 20

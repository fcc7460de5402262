"""A prototype pickle may not allocate more than its own file holds: every such request is refused before it runs."""

import io
import pickle
import resource
import struct

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from numpy._core.multiarray import _reconstruct

from annotations.models import Image
from tests.annotations.upload_helpers import fast_password_hasher  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HUGE = 10**6  # a (10**6, 10**6) array: a terabyte


class Reduce:
    """Pickles as `func(*args)` (with `state` for BUILD), the way a crafted file would."""

    def __init__(self, func, args, state=None):
        self.func, self.args, self.state = func, args, state

    def __reduce__(self):
        return (self.func, self.args) if self.state is None else (self.func, self.args, self.state)


def crafted(obj) -> bytes:
    return pickle.dumps({"rgb_frames": [np.zeros((4, 4, 3), np.uint8)], "extra": obj}, protocol=4)


BOMBS = {
    "bytearray(10**12)": crafted(Reduce(bytearray, (10**12,))),
    "bytes(10**12)": crafted(Reduce(bytes, (10**12,))),
    "an array of 10**12 bytes": crafted(Reduce(_reconstruct, (np.ndarray, (HUGE, HUGE), b"b"))),
    "a state of 10**12 bytes": crafted(
        Reduce(_reconstruct, (np.ndarray, (0,), b"b"), (1, (HUGE, HUGE), np.dtype("u1"), False, b""))
    ),
    "ndarray((10**6, 10**6))": crafted(Reduce(np.ndarray, ((HUGE, HUGE),))),
    "BYTEARRAY8 of 2**40": b"\x80\x05\x96" + struct.pack("<Q", 2**40) + b".",
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_an_allocation_bomb_is_refused_before_it_allocates(project, tmp_path, name):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    path = tmp_path / "images.pkl"
    path.write_bytes(BOMBS[name])
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(CommandError, match="Refusing"):
        call_command("import_images", str(project.pk), str(path), stdout=io.StringIO())
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kib < 64 * 1024  # the peak grew by under 64 MiB: nothing of the terabyte was touched
    assert not Image.objects.exists()


def test_a_declared_length_beyond_the_file_is_a_truncated_pickle_not_an_allocation(project, tmp_path):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    path = tmp_path / "images.pkl"
    path.write_bytes(b"\x80\x04\x8e" + struct.pack("<Q", 2**40) + b"abc.")  # BINBYTES8 claiming a terabyte
    with pytest.raises(CommandError, match="not a readable pickle"):
        call_command("import_images", str(project.pk), str(path), stdout=io.StringIO())


def test_real_arrays_fit_the_budget_in_every_protocol(project, tmp_path):
    """The prototype's own files: frames carry their bytes, so they never exceed the file's size."""
    UserFactory(username="root", is_staff=True, is_superuser=True)
    frames = [np.full((120, 160, 3), i, np.uint8) for i in range(3)]
    for protocol in (2, 3, 4, 5):
        path = tmp_path / f"images-{protocol}.pkl"
        path.write_bytes(pickle.dumps({"rgb_frames": frames, "extra": bytearray(b"x" * 100)}, protocol=protocol))
        call_command("import_images", str(project.pk), str(path), stdout=io.StringIO())
    assert Image.objects.count() == 3

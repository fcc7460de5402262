"""Reading the Flask prototype's `images.pkl` safely (its import: `annotations.services.prototype`).

The file is a pickle — an arbitrary program for a normal unpickler — so it is read with an
unpickler whose `find_class` admits only what numpy arrays and builtin containers need.
A pickle that reaches for anything else (`os.system`, `subprocess.Popen`, `builtins.eval`…)
is refused before that object is ever looked up, so nothing of it runs.

Even the admitted callables can be told to allocate: `bytearray(10**12)`, an array of shape
(10**6, 10**6), a BYTEARRAY8 opcode declaring a terabyte. So every allocation a call or an
opcode would make is charged first against the file's own size (a real pickle's arrays carry
their bytes in the file, so they never ask for more), and one that would exceed it is refused
before anything is allocated. The unpickler is Python's own pure-Python one, whose opcode
table can be guarded; the prototype's files hold a few opcodes per frame, so it costs nothing.
"""

import math
import pickle
import struct
from pathlib import Path

from django.conf import settings

from annotations.errors import InvalidInput, PayloadTooLarge

SAFE_GLOBALS = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),  # protocol 5 arrays
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # protocol 2 writes bytes as encode(text, "latin1")
        *(("builtins", name) for name in ("list", "dict", "tuple", "set", "frozenset", "bytearray", "bytes")),
        *(("__builtin__", name) for name in ("list", "dict", "tuple", "set", "frozenset", "bytearray")),
    }
)
MIN_BUDGET = 64 * 1024  # bytes any pickle may allocate: room for a tiny file's containers


class UnsafePickle(InvalidInput):
    pass


def _allowed(module: str, name: str):
    if (module, name) in SAFE_GLOBALS:
        return True
    raise UnsafePickle(
        f"Refusing to load {module}.{name} from the pickle: only numpy arrays and builtin containers are allowed."
    )


class RestrictedUnpickler(pickle._Unpickler):
    """Unpickles numpy arrays and builtin containers; refuses every other global and any
    allocation beyond `budget` bytes in all (see the module docstring)."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, *, budget: int):
        super().__init__(file)
        self.budget, self.allocated = budget, 0

    def find_class(self, module, name):
        _allowed(module, name)
        return super().find_class(module, name)

    def _charge(self, nbytes: int, what: str) -> None:
        self.allocated += nbytes
        if self.allocated > self.budget:
            raise UnsafePickle(
                f"Refusing the pickle: {what} would allocate {nbytes} bytes, more than the file's "
                f"{self.budget} bytes can hold."
            )

    def _check_call(self, func, args) -> None:
        """Charge what calling `func(*args)` (or `func.__new__`) would allocate; refuse what cannot be sized.

        `_frombuffer` is not charged: it views a buffer the file carried (charged as it was read).
        """
        import numpy as np  # late: only imports need it
        from numpy._core.multiarray import _reconstruct, scalar

        if func is bytearray or func is bytes:
            if args and isinstance(args[0], int):
                self._charge(args[0], f"{func.__name__}({args[0]})")
        elif func is np.ndarray:
            raise UnsafePickle("Refusing the pickle: it constructs an array directly, which numpy's pickles never do.")
        elif func is _reconstruct:
            shape, dtype = (args[1], args[2]) if len(args) > 2 else (None, None)
            self._charge(_array_bytes(shape, dtype), "an array")
        elif func is scalar:
            self._charge(_array_bytes((), args[0] if args else None), "a scalar")

    def load_reduce(self):
        self._check_call(self.stack[-2], self.stack[-1])
        super().load_reduce()

    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_newobj(self):
        self._check_call(self.stack[-2], self.stack[-1])
        super().load_newobj()

    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        self._check_call(self.stack[-3], self.stack[-2])
        super().load_newobj_ex()

    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def _instantiate(self, klass, args):  # INST and OBJ
        self._check_call(klass, tuple(args))
        super()._instantiate(klass, args)

    def load_build(self):
        import numpy as np

        state, inst = self.stack[-1], self.stack[-2]
        if isinstance(inst, np.ndarray) and isinstance(state, tuple) and len(state) >= 3:
            self._charge(_array_bytes(state[1], state[2]), "an array's state")
        super().load_build()

    dispatch[pickle.BUILD[0]] = load_build

    def load_bytearray8(self):
        (size,) = struct.unpack("<Q", self.read(8))
        self._charge(size, "a bytearray")
        buffer = bytearray(size)
        self.readinto(buffer)
        self.append(buffer)

    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8


class _Bounded:
    """The file, read no further than its size: an opcode declaring a huge length (BINBYTES8…)
    gets what is there (and a clear "truncated" error), never a buffer of the declared size."""

    def __init__(self, handle, size: int):
        self.handle, self.left = handle, size

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(self.left if size is None or size < 0 else min(size, self.left))
        self.left -= len(data)
        return data

    def readline(self) -> bytes:
        data = self.handle.readline(self.left)
        self.left -= len(data)
        return data

    def readinto(self, buffer) -> int:
        view = memoryview(buffer)[: self.left]
        count = self.handle.readinto(view)
        self.left -= count
        return count


def _array_bytes(shape, dtype) -> int:
    """Bytes an array of this shape and dtype holds; a shape or dtype that is not one is refused."""
    import numpy as np

    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise UnsafePickle(f"Refusing the pickle: {str(shape)[:60]} is not an array shape.")
    try:
        itemsize = np.dtype(dtype).itemsize if dtype is not None else 8
    except (TypeError, ValueError):
        raise UnsafePickle(f"Refusing the pickle: {str(dtype)[:60]} is not an array type.") from None
    return math.prod(shape) * itemsize


def prototype_load(path: Path) -> dict:
    """Read and check the pickle's structure; returns the dict with `rgb_frames`, `actions`, `frame_info`."""
    import numpy as np  # late: only imports need it

    path = Path(path)
    if path.stat().st_size > settings.UPLOAD_MAX_BYTES:
        raise PayloadTooLarge(f"{path.name}: larger than the upload limit of {settings.UPLOAD_MAX_BYTES} bytes.")
    size = path.stat().st_size
    with path.open("rb") as handle:
        try:
            data = RestrictedUnpickler(_Bounded(handle, size), budget=max(size, MIN_BUDGET)).load()
        except UnsafePickle:
            raise
        except Exception as exc:  # truncated or garbage data raise many types
            raise InvalidInput(f"{path.name}: not a readable pickle ({type(exc).__name__}: {exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("rgb_frames"), (list, tuple)):
        raise InvalidInput(f"{path.name}: expected a dict with a list `rgb_frames` (the prototype's format).")
    frames = list(data["rgb_frames"])
    for index, frame in enumerate(frames):
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            shape = getattr(frame, "shape", None)
            raise InvalidInput(f"{path.name}: frame {index} is not an HxWx3 uint8 array (got {shape}).")
    for key in ("actions", "frame_info"):
        value = data.get(key)
        if value is not None and (not isinstance(value, (list, tuple)) or len(value) != len(frames)):
            raise InvalidInput(f"{path.name}: `{key}` must be a list with one entry per frame.")
    return {"rgb_frames": frames, "actions": data.get("actions"), "frame_info": data.get("frame_info")}

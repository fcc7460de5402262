"""An export folder as a zip stream: written piece by piece, never held in memory."""

import zipfile
from collections.abc import Iterator
from pathlib import Path

from annotations.errors import Conflict, NotFound
from annotations.exports import dvc as dvc_repo

CHUNK = 1 << 20
STORED_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".zip"}  # already compressed


def dataset_files_check(*, dataset) -> Path:
    """The version's folder, if it still holds this version's files."""
    folder = Path(dataset.path)
    if not folder.is_dir():
        raise NotFound("The files of this dataset version are no longer on the server.")
    if dataset.dvc_hash:
        dvc_file = folder.parent / f"{folder.name}.dvc"
        current = dvc_repo.dvc_hash_read(dvc_file) if dvc_file.exists() else ""
        if current != dataset.dvc_hash:
            raise Conflict(
                f"A newer export replaced this version's folder; get it from the dataset repo with "
                f"`git checkout {dataset.git_rev} && dvc checkout`."
            )
    return folder


class _Pipe:
    """A write-only file object whose writes are collected for the generator to yield."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self):
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_stream(folder: Path) -> Iterator[bytes]:
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            method = zipfile.ZIP_STORED if path.suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            info = zipfile.ZipInfo.from_file(path, path.relative_to(folder).as_posix())
            info.compress_type = method
            with open(path, "rb") as src, archive.open(info, "w", force_zip64=True) as dst:
                while chunk := src.read(CHUNK):
                    dst.write(chunk)
                    yield pipe.take()
            yield pipe.take()
    yield pipe.take()

"""Putting frame files into an export: a hard link when the media is a local folder on the
same device (instant, no extra space; media files are content-addressed and never rewritten),
else a copy streamed from the storage (S3 or another device)."""

import os
import shutil
from pathlib import Path

from django.core.files.storage import default_storage


class FrameFiles:
    """Places frame files into one folder; `enabled=False` (the `--no-images` flag) skips them."""

    def __init__(self, folder: Path, *, enabled: bool = True, link: bool = True):
        self.folder = folder
        self.enabled = enabled
        self.link = link
        self.count = 0
        self.bytes = 0
        if enabled:
            folder.mkdir(parents=True, exist_ok=True)

    def place(self, *, stored_name: str, export_name: str) -> None:
        if not self.enabled:
            return
        target = self.folder / export_name
        source = self._local_path(stored_name)
        if source is not None:
            if not (self.link and _try_link(source, target)):
                shutil.copyfile(source, target)
        else:
            with default_storage.open(stored_name, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        self.count += 1
        self.bytes += target.stat().st_size

    @staticmethod
    def _local_path(stored_name: str) -> Path | None:
        try:
            return Path(default_storage.path(stored_name))
        except NotImplementedError:  # remote storage: no local path
            return None


def _try_link(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
    except OSError:  # another device, or a file system without hard links
        return False
    return True

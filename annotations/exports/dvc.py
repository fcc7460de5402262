"""The dataset repository: git + DVC at `settings.DVC_REPO_DIR`, created on first use.

The real `dvc` and `git` command-line tools run as subprocesses with a clean environment
(no GIT_* variables leaking in from a hook or a CI runner, no analytics).
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings

from annotations.errors import DomainError, InvalidInput

AUTHOR_NAME = "HITL Annotate"
AUTHOR_EMAIL = "datasets@hitl-annotate.invalid"


class DvcError(DomainError):
    status_code = 500
    default_detail = "The dataset repository command failed."


@dataclass(frozen=True)
class DvcVersion:
    git_rev: str
    dvc_hash: str
    dvc_file: Path


def repo_dir() -> Path:
    return Path(settings.DVC_REPO_DIR)


def _env() -> dict:
    env = dict(settings.DVC_ENVIRONMENT)
    env.setdefault("HOME", str(repo_dir()))
    # The venv's bin first: `dvc` may spawn helpers found on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")])
    env.update(DVC_NO_ANALYTICS="1", GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1")
    return env


def run(args: list[str], *, cwd: Path | None = None) -> str:
    """Run `git …` or `dvc …` in the repo; raise DvcError with its output on failure."""
    command = [sys.executable, "-m", "dvc", *args[1:]] if args[0] == "dvc" else args
    done = subprocess.run(command, cwd=cwd or repo_dir(), env=_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise DvcError(f"`{' '.join(args)}` failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


def repo_ensure() -> Path:
    """`git init` + `dvc init` + the default remote, once; return the repo folder."""
    root = repo_dir()
    if (root / ".dvc").is_dir() and (root / ".git").is_dir():
        return root
    root.mkdir(parents=True, exist_ok=True)
    if not (root / ".git").is_dir():
        run(["git", "init", "-q", "-b", "main"])
    run(["git", "config", "user.name", AUTHOR_NAME])
    run(["git", "config", "user.email", AUTHOR_EMAIL])
    run(["dvc", "init", "-q"])
    # Written directly rather than by two more `dvc config`/`dvc remote` runs (a second each).
    with open(root / ".dvc" / "config", "a") as config:
        config.write(f"[core]\n    analytics = false\n    remote = storage\n['remote \"storage\"']\n"
                     f"    url = {remote_url(settings.DVC_REMOTE_URL)}\n")
    run(["git", "add", ".dvc", ".dvcignore"])
    run(["git", "commit", "-q", "-m", "Dataset repository: DVC initialised"])
    return root


def remote_url(url: str) -> str:
    """The default remote `storage`: a local folder (made absolute), or S3 for s3:// URLs."""
    if url.startswith(("s3://", "gs://", "azure://", "http://", "https://", "ssh://")):
        return url
    folder = Path(url).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


def version_commit(*, folder: Path, message: str) -> DvcVersion:
    """`dvc add` the folder, commit its .dvc file (and .gitignore) and return rev + hash."""
    root = repo_ensure()
    relative = folder.resolve().relative_to(root.resolve())
    run(["dvc", "add", "-q", str(relative)])
    dvc_file = folder.parent / f"{folder.name}.dvc"
    gitignore = folder.parent / ".gitignore"
    run(["git", "add", str(dvc_file.relative_to(root)), *([str(gitignore.relative_to(root))] if gitignore.exists() else [])])
    # An export identical to the last one changes nothing: still a version, with the same rev.
    if run(["git", "status", "--porcelain", "--untracked-files=no"]).strip():
        run(["git", "commit", "-q", "-m", message])
    rev = run(["git", "rev-parse", "HEAD"]).strip()
    return DvcVersion(git_rev=rev, dvc_hash=dvc_hash_read(dvc_file), dvc_file=dvc_file)


def dvc_hash_read(dvc_file: Path) -> str:
    """The md5 DVC recorded for the folder (a `.dir` hash) in its .dvc file."""
    data = yaml.safe_load(dvc_file.read_text())
    out = data["outs"][0]
    return out.get("md5") or out.get("hash", "")


def push() -> None:
    run(["dvc", "push", "-q"])


def folder_prepare(folder: Path, *, ours: Callable[[Path], bool]) -> Path:
    """Empty the version's folder: a new version replaces the files of the previous one.

    The folder must be inside the dataset repository and outside `.git`, `.dvc` and every
    other dot-folder; an existing one is only emptied when it is empty already or `ours(folder)`
    says an earlier export made it — a folder someone else made is refused, never deleted.
    """
    root = repo_ensure().resolve()
    folder = folder.resolve()
    if root not in folder.parents:
        raise InvalidInput(f"{folder} is outside the dataset repository {root}.")
    hidden = [part for part in folder.relative_to(root).parts if part.startswith(".")]
    if hidden:
        raise InvalidInput(f"{folder} is inside {hidden[0]} of the dataset repository; choose a folder outside it.")
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"{folder} is a file; choose a folder.")
    if folder.exists() and any(folder.iterdir()):
        if not ours(folder):
            raise InvalidInput(f"{folder} exists, is not empty and was not made by an export; choose another folder.")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder

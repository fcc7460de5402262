"""Prompts are atomic: one noun per pass, as moondream2 localises one class at a time."""

import re

from annotations.errors import InvalidInput

PROMPT_RE = re.compile(r"^[A-Za-z][A-Za-z \-]{0,31}$")
MAX_PROMPTS = 20
RULE = "letters, hyphens and spaces only, at most 32 characters"


def prompts_parse(raw, *, defaults: list[str]) -> list[str]:
    """`"person, car"`, `["person", "car"]` or nothing (→ `defaults`) as a clean, de-duplicated list.

    Each prompt is trimmed, lower-cased and checked; an empty or invalid one is a 400 naming it.
    """
    if raw is None or raw == "" or raw == []:
        if not defaults:
            raise InvalidInput(
                "Give prompts (e.g. \"person, car\"): none were sent and no label of this project has a usable prompt.",
                prompts=["This field is required."],
            )
        raw = defaults
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not all(isinstance(item, str) for item in raw):
        raise InvalidInput("`prompts` must be a string or a list of strings.", prompts=["Expected text."])
    prompts: list[str] = []
    for item in raw:
        for part in item.split(","):
            prompt = " ".join(part.split()).lower()
            if not prompt:
                raise InvalidInput("An empty prompt was given; remove the extra comma.", prompts=["Empty prompt."])
            if not PROMPT_RE.match(prompt):
                shown = prompt[:40] + ("…" if len(prompt) > 40 else "")
                raise InvalidInput(f"Invalid prompt {shown!r}: {RULE}.", prompts=[f"Invalid prompt {shown!r}."])
            if prompt not in prompts:
                prompts.append(prompt)
    if len(prompts) > MAX_PROMPTS:
        raise InvalidInput(f"At most {MAX_PROMPTS} prompts per job; {len(prompts)} were given.", prompts=["Too many."])
    return prompts


def prompts_default(labels) -> list[str]:
    """The project's label prompts that are valid on their own (a label named "car 2" is skipped)."""
    out = []
    for label in labels:
        prompt = " ".join(label.effective_prompt.split()).lower()
        if PROMPT_RE.match(prompt) and prompt not in out:
            out.append(prompt)
    return out[:MAX_PROMPTS]

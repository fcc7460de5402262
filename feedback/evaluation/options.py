"""Checking an evaluation's options before anything is created: backend, prompts, frames, dataset.

Every refusal is an `InvalidInput` (a 400 from the API, a CommandError from the command)
that names what is wrong; nothing is written until all options are known to be good.
"""

from dataclasses import dataclass, field

from annotations.errors import InvalidInput, NotFound
from annotations.exports import rows
from annotations.models import DatasetVersion, Label
from inference.detectors import MODEL_BACKENDS, DetectorChoiceInvalid, choice_normalise, detector_described
from inference.prompts import prompts_parse
from inference.status import detector_status

BACKENDS = ("auto", "moondream", "station", "opencv")


@dataclass
class EvaluationOptions:
    backend: str
    model: str
    revision: str
    prompts: dict[str, str]  # label name -> prompt, every label of the project in id order
    only: str
    limit: int | None
    dataset_version: DatasetVersion | None
    detector: dict = field(default_factory=dict)  # the evaluated detector's status (the workers' or the chosen one)
    choice: dict = field(default_factory=dict)  # what each job asks the worker to run; {}: the workers' own
    unsupported: list[str] = field(default_factory=list)  # labels a closed vocabulary cannot find
    prompt_candidates: dict[str, list[str]] = field(default_factory=dict)  # label -> prompts to compare


def _backend_check(backend: str | None, model: str, revision: str) -> tuple[str, dict, dict]:
    """(backend, its status, the jobs' detector choice) for the requested backend, model and revision.

    `auto`, or the workers' own backend with their model and revision, runs what the workers run
    (choice `{}`); anything else is a choice each job carries, and the worker builds that detector
    for it (cached per choice) — so any allowed backend, model or revision can be evaluated.
    """
    status = detector_status()
    active = str(status.get("backend", ""))
    backend = (backend or "auto").strip().lower()
    if backend not in BACKENDS:
        raise InvalidInput(f"Unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}.",
                           backend=[f"Unknown backend {backend!r}."])
    if backend in ("auto", active):
        running = {name: str(status.get(name, "") or "") for name in ("model", "revision")}
        if all(not asked or asked == running[name] for name, asked in (("model", model), ("revision", revision))):
            return backend, status, {}
        if active not in MODEL_BACKENDS:
            name, asked = ("model", model) if model and model != running["model"] else ("revision", revision)
            raise InvalidInput(
                f"The {active!r} detector runs {name} {running[name] or '(none)'!r}, not {asked!r}; only "
                f"moondream takes a model and revision (--backend moondream).",
                **{name: [f"Not the active {name} ({running[name] or 'none'})."]},
            )
        backend = active
    try:
        choice = choice_normalise({"backend": backend, "model": model, "revision": revision}, collapse=False)
    except DetectorChoiceInvalid as error:
        field_name = "model" if "Model" in str(error) else "backend"
        raise InvalidInput(str(error), **{field_name: [str(error)]}) from None
    return backend, detector_described(choice), choice


def prompt_overrides_parse(items) -> dict[str, str]:
    """`["person=pedestrian", ...]` or `{"person": "pedestrian"}` as a dict; malformed → 400."""
    if items is None or items == "":
        return {}
    if isinstance(items, dict):
        pairs = list(items.items())
    elif isinstance(items, (list, tuple)):
        pairs = []
        for item in items:
            if not isinstance(item, str) or "=" not in item:
                raise InvalidInput(f"A prompt is LABEL=PROMPT; got {str(item)[:60]!r}.", prompts=["LABEL=PROMPT"])
            label, _, prompt = item.partition("=")
            pairs.append((label, prompt))
    else:
        raise InvalidInput("`prompts` must map label names to prompts.", prompts=["Expected {label: prompt}."])
    out = {}
    for label, prompt in pairs:
        if not isinstance(label, str) or not isinstance(prompt, str):
            raise InvalidInput("Label names and prompts must be text.", prompts=["Expected text."])
        out[label.strip()] = prompt
    return out


def _prompts_check(project, overrides: dict[str, str]) -> dict[str, str]:
    labels = list(Label.objects.filter(project=project).order_by("id"))
    names = {label.name for label in labels}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise InvalidInput(
            f"Unknown label(s) {', '.join(map(repr, unknown))} in the prompts; this project's labels are "
            f"{', '.join(sorted(names)) or 'none'}.",
            prompts=[f"Unknown label {name!r}." for name in unknown],
        )
    if not labels:
        raise InvalidInput("This project has no labels to evaluate.")
    prompts = {}
    for label in labels:
        raw = overrides.get(label.name, label.effective_prompt)
        try:
            (prompt,) = prompts_parse([raw], defaults=[])
        except (InvalidInput, ValueError):
            raise InvalidInput(
                f"Label {label.name!r} has no usable prompt ({raw!r}: one noun, letters, hyphens and spaces); "
                f"give one with {label.name}=PROMPT.",
                prompts=[f"Invalid prompt for {label.name!r}."],
            ) from None
        prompts[label.name] = prompt
    return prompts


def _candidates_check(items, prompt_map: dict[str, str], supported) -> dict[str, list[str]]:
    """`["person=person,pedestrian,human"]` or `{"person": [...]}` → {label: [prompt, ...]}; 400 naming a bad one."""
    if isinstance(items, dict):
        raw = {label: value if isinstance(value, str) else ",".join(map(str, value)) for label, value in items.items()}
    else:
        raw = prompt_overrides_parse(items)
    out = {}
    for label, text in raw.items():
        if label not in prompt_map:
            raise InvalidInput(f"Unknown label {label!r} in the prompt candidates.",
                               prompt_candidates=[f"Unknown label {label!r}."])
        try:
            candidates = prompts_parse([text], defaults=[])
        except (InvalidInput, ValueError) as error:
            raise InvalidInput(f"Prompt candidates for {label!r}: {getattr(error, 'detail', error)}",
                               prompt_candidates=[f"Invalid candidates for {label!r}."]) from None
        unknown = [c for c in candidates if supported is not None and c not in supported]
        if unknown:
            raise InvalidInput(f"The detector cannot find {', '.join(map(repr, unknown))}; it supports: "
                               f"{', '.join(supported)}.", prompt_candidates=[f"Unsupported for {label!r}."])
        out[label] = candidates
    return out


def _dataset_check(project, dataset) -> DatasetVersion | None:
    if dataset in (None, ""):
        return None
    try:
        pk = int(dataset)
    except (TypeError, ValueError):
        raise InvalidInput(f"--dataset is a dataset version id; got {str(dataset)[:40]!r}.") from None
    version = DatasetVersion.objects.filter(project=project, pk=pk).first()
    if version is None:
        raise NotFound(f"Dataset version {pk} is not one of this project's.")
    if version.format != "coco":
        raise InvalidInput(f"Dataset version {pk} is a {version.format} export; an evaluation reads a COCO one.")
    return version


def evaluation_options_check(
    *, project, backend=None, model="", revision="", prompts=None, only="approved", dataset=None, limit=None,
    prompt_candidates=None,
) -> EvaluationOptions:
    """All options checked against the project and the active detector (see module docstring)."""
    model, revision = (model or "").strip(), (revision or "").strip()
    backend, status, choice = _backend_check(backend, model, revision)
    prompt_map = _prompts_check(project, prompt_overrides_parse(prompts))
    version = _dataset_check(project, dataset)
    only = version.only if version is not None else rows.only_check(only or "approved")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise InvalidInput("--limit must be a positive number of frames.", limit=["A positive integer."])
    supported = status.get("supported_prompts")
    candidates = _candidates_check(prompt_candidates or {}, prompt_map, supported)
    unsupported = [name for name, p in prompt_map.items() if supported is not None and p not in supported]
    if len(unsupported) == len(prompt_map):
        raise InvalidInput(
            f"The {status.get('backend')!r} detector can find none of the prompts "
            f"({', '.join(sorted(set(prompt_map.values())))}); it supports: {', '.join(supported)}.",
            prompts=["No supported prompt."],
        )
    frames = version.counts.get("images", 0) if version is not None else rows.image_count(project_id=project.pk, only=only)
    if not frames:
        raise InvalidInput(
            f"No verified frames to evaluate on: the project has no {only} frames"
            + (" in that dataset version." if version is not None else "; approve some (or use --only submitted|all)."),
        )
    return EvaluationOptions(
        backend=backend, model=model or str(status.get("model", "") or ""),
        revision=revision or str(status.get("revision", "") or ""), prompts=prompt_map, only=only, limit=limit,
        dataset_version=version, detector={k: v for k, v in status.items() if k != "supported_prompts"},
        unsupported=unsupported, prompt_candidates=candidates, choice=choice,
    )

"""Tracks and sequences restored by a COCO import.

An export writes each box's `track_id` (the track's number) and `attributes.keyframe/source`,
and each image's `sequence` (its name). On import, new frames go into the sequences the file
names (FileSequences), and the annotations sharing a `track_id` become one Track of the project,
numbered as in the file when that number is free there (else the next free number), with the
label of its first box and the sequence of that box's frame. A box already on its frame
(skipped by the import) lends its track to the rest of its file track, so importing a file
twice makes no second track. The tracks made are announced as `track.created` once the import
commits, so open annotate pages follow them.
"""

from annotations.exports.coco_checks import annotation_track_key, malformed
from annotations.models import BoxSource, Project, Sequence, Track
from annotations.services.tracks import tracks_created_broadcast

# Sources a box keeps on import: they say how its track's tools made it (interpolation
# recomputes non-keyframes). Human and AI boxes arrive as human boxes, as before: an imported
# AI box has no prediction here to be audited against.
RESTORED_SOURCES = {BoxSource.INTERPOLATED, BoxSource.TRACKED}
NUMBER_MAX = 2**31 - 1  # Track.number is a PositiveIntegerField


def box_attributes_apply(box, ann: dict) -> None:
    """Set `keyframe` and `source` of an imported box from the annotation's `attributes`."""
    attributes = ann.get("attributes") or {}
    keyframe = attributes.get("keyframe")
    box.keyframe = True if keyframe is None else keyframe
    if attributes.get("source") in RESTORED_SOURCES:
        box.source = attributes["source"]


class TrackLinks:
    """The file's track ids mapped to the project's tracks, for the boxes of one import.

    `live_pairs` are the `(track id, image id)` of the live boxes on the imported frames: at
    most one live box per track per frame, so a file that puts a track twice on a frame is
    refused with the annotation named, not with a database error.
    """

    def __init__(self, *, project, user, live_pairs):
        self.project, self.user = project, user
        self.by_key: dict[int, int] = {}
        self.taken = set(live_pairs)
        self.pending: list[tuple] = []
        self.created = 0

    def found(self, ann: dict, track_id: int | None) -> None:
        """The annotation's box is already on its frame: its track is the file track's track."""
        key = annotation_track_key(ann)
        if key is not None and track_id is not None:
            self.by_key.setdefault(key, track_id)

    def add(self, box, ann: dict, index: int) -> None:
        key = annotation_track_key(ann)
        if key is not None:
            self.pending.append((box, key, index))

    def link(self) -> None:
        """Make the tracks the file has and the project lacks; set every new box's track."""
        missing = [key for key in dict.fromkeys(key for _, key, _ in self.pending) if key not in self.by_key]
        if missing:
            self._tracks_create(missing)
        for box, key, index in self.pending:
            pair = (self.by_key[key], box.image_id)
            if pair in self.taken:
                raise malformed(f"annotations[{index}].track_id",
                                f"puts track {key} on a frame that already has a box of that track")
            self.taken.add(pair)
            box.track_id = pair[0]

    def _tracks_create(self, keys: list[int]) -> None:
        # The project row lock (the one ingest takes) gives numbers out to one writer at a time.
        Project.objects.select_for_update().filter(pk=self.project.pk).values_list("pk", flat=True).first()
        used = set(Track.objects.filter(project=self.project).values_list("number", flat=True))
        fits = [key for key in keys if 1 <= key <= NUMBER_MAX]
        next_free = max([*used, *fits, 0]) + 1
        first_box = {}
        for box, key, _ in self.pending:
            first_box.setdefault(key, box)
        tracks = []
        for key in keys:
            if 1 <= key <= NUMBER_MAX and key not in used:
                number = key
            else:
                number, next_free = next_free, next_free + 1
            used.add(number)
            box = first_box[key]
            tracks.append(Track(project=self.project, label_id=box.label_id, sequence_id=box.image.sequence_id,
                                number=number, created_by=self.user if getattr(self.user, "pk", None) else None))
        Track.objects.bulk_create(tracks)
        self.by_key.update(zip(keys, (track.pk for track in tracks)))
        self.created += len(tracks)
        tracks_created_broadcast(track_ids=[track.pk for track in tracks], project_id=self.project.pk, user=self.user)


class FileSequences:
    """The sequences an import puts its new frames in: the one the file names for a frame (found
    by name ignoring case, else created), or for frames it puts in none, the one sequence the
    ingest makes for the first of them (ingest puts every new frame in a sequence). Frames the
    project already had keep theirs."""

    def __init__(self, *, project):
        # The project row lock (ingest takes it too) keeps a concurrent import from making the same name.
        Project.objects.select_for_update().filter(pk=project.pk).values_list("pk", flat=True).first()
        self.project = project
        self.by_name = {sequence.name.lower(): sequence for sequence in Sequence.objects.filter(project=project)}
        self.batch = None
        self.made: list[Sequence] = []

    @staticmethod
    def runs(images: list[dict], size: int):
        """(sequence name, images) runs of consecutive images of one sequence, `size` at most."""
        run, name = [], None
        for img in images:
            named = img.get("sequence")
            named = named.strip() if named is not None else None
            if run and (named != name or len(run) == size):
                yield name, run
                run = []
            run.append(img)
            name = named
        if run:
            yield name, run

    def of(self, name: str | None):
        if name is None:
            return self.batch
        if name.lower() not in self.by_name:
            self.by_name[name.lower()] = Sequence.objects.create(project=self.project, name=name)
            self.made.append(self.by_name[name.lower()])
        return self.by_name[name.lower()]

    def unused_drop(self) -> None:
        """Delete the sequences this import made that got no frame (all of theirs were already there)."""
        Sequence.objects.filter(pk__in=[s.pk for s in self.made], images__isnull=True).delete()

    def ingested(self, name: str | None, images: list) -> None:
        if name is None and self.batch is None and images:
            self.batch = images[0].sequence

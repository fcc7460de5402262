// Pure rules of tracks on the annotate page (no DOM), unit-tested with node --test: what each
// frame of the timeline shows for a track, which boxes copy forward, where the next keyframe is,
// and how far a propagation has come.
//
// frame: {id, frame_index}; a track's box: {image, keyframe, source}; a cell:
// {image, frame_index, state} with state ∈ keyframe, interpolated, tracked, gap (inside the
// track's span without a box: the object is hidden or the track ended and restarted), none.

export const CELL_TEXT = Object.freeze({
  keyframe: "keyframe",
  interpolated: "interpolated",
  tracked: "tracked",
  gap: "gap",
  none: "not in the track",
});

/** The state of one frame for a track box there (or none). */
export function boxState(box) {
  if (!box) return null;
  if (box.keyframe !== false) return "keyframe";
  return box.source === "tracked" ? "tracked" : "interpolated";
}

/** One cell per frame, in frame order: the track's box state there, gap inside its span, none outside. */
export function timelineCells(frames, boxes) {
  const byImage = new Map();
  for (const b of boxes || []) if (!b.deleted) byImage.set(Number(b.image), b);
  const ordered = [...(frames || [])].sort((a, b) => a.frame_index - b.frame_index);
  let first = -1;
  let last = -1;
  ordered.forEach((f, i) => {
    if (byImage.has(Number(f.id))) {
      if (first < 0) first = i;
      last = i;
    }
  });
  return ordered.map((f, i) => {
    const state = boxState(byImage.get(Number(f.id)));
    return { image: Number(f.id), frame_index: f.frame_index, state: state || (i > first && i < last ? "gap" : "none") };
  });
}

/** Counts of each state, for the strip's summary line. */
export function cellCounts(cells) {
  const counts = { keyframe: 0, interpolated: 0, tracked: 0, gap: 0, none: 0 };
  for (const c of cells) counts[c.state]++;
  return counts;
}

/** The summary line under the strip: "12 keyframes · 30 interpolated · 5 tracked · 2 gaps". */
export function cellSummary(cells) {
  const c = cellCounts(cells);
  const part = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const parts = [part(c.keyframe, "keyframe"), `${c.interpolated} interpolated`, `${c.tracked} tracked`];
  if (c.gap) parts.push(part(c.gap, "gap"));
  return parts.join(" · ");
}

/**
 * What copy forward sends as `boxes`: the selected box's id when one is selected and saved,
 * else "all" (every box of the frame).
 */
export function copyForwardBoxes(selected) {
  return selected && selected.id != null && !selected.doomed ? [selected.id] : "all";
}

/** The image of the nearest keyframe before (dir −1) or after (dir +1) `image`, or null. */
export function neighbourKeyframe(cells, image, dir) {
  const i = cells.findIndex((c) => c.image === Number(image));
  if (i < 0) return null;
  for (let j = i + dir; j >= 0 && j < cells.length; j += dir) if (cells[j].state === "keyframe") return cells[j].image;
  return null;
}

/** A propagation's progress as the events arrive (duplicates from two sockets count once). */
export function createProgress(total) {
  const seen = new Set();
  return {
    add(image) {
      seen.add(Number(image));
      return seen.size;
    },
    get done() {
      return seen.size;
    },
    /** The status line: running, stopped (why), or failed with the server's reason. */
    text(stopped = null, reason = null) {
      const base = `${seen.size} / ${total} frames`;
      if (!stopped) return `Tracking… ${base}`;
      if (stopped === "failed") return `Propagation failed: ${reason || "unknown reason"} (${base} tracked)`;
      const why = {
        lost: "the tracker lost the object", end: "the sequence or a person's box ends it", cancelled: "cancelled", done: "done",
      }[stopped] || stopped;
      return `Tracked ${base} (${why})`;
    },
  };
}

/** The track a box belongs to, or null; a box without one has nothing to interpolate or end. */
export function trackOf(box) {
  return box && box.track != null ? Number(box.track) : null;
}

const COORDS = ["x_min", "y_min", "x_max", "y_max"];

/**
 * Where the track's object probably is on frame `image`, which has no box of it: linear between
 * its nearest boxes before and after (by frame index), else the nearest one. Null when the frame
 * has a box of the track, is not among `frames`, the track has no box around, or the track was
 * `ended` (End track on its last frame) and the frame comes after its end.
 */
export function ghostBox(frames, boxes, image, { ended = false } = {}) {
  const at = new Map((frames || []).map((f) => [Number(f.id), f.frame_index]));
  const here = at.get(Number(image));
  if (here === undefined) return null;
  let before = null;
  let after = null;
  for (const b of boxes || []) {
    const i = at.get(Number(b.image));
    if (b.deleted || i === undefined) continue;
    if (i === here) return null;
    if (i < here && (!before || i > before.i)) before = { i, b };
    if (i > here && (!after || i < after.i)) after = { i, b };
  }
  if ((!before && !after) || (ended && !after)) return null;
  if (!before || !after) {
    const b = (before || after).b;
    return { label: b.label, ...Object.fromEntries(COORDS.map((k) => [k, b[k]])) };
  }
  const t = (here - before.i) / (after.i - before.i);
  return { label: before.b.label, ...Object.fromEntries(COORDS.map((k) => [k, before.b[k] + (after.b[k] - before.b[k]) * t])) };
}

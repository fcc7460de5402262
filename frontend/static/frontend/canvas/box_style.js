// How a box looks beyond its outline's place: its colour (the label's, or for a box in a track a
// shade of it per track number), the text of its tag ("person #3") and whether it is a keyframe
// (drawn solid) or a box interpolation or the tracker filled in (drawn thin and dotted until a
// person edits it). Pure (no DOM), read by canvas/render.js on every frame, so lookups are cached.

import { trackShade } from "../lib/colors.js";

export const FALLBACK_COLOR = "#1f77b4";

/** A box interpolation or the tracker wrote and nobody has edited since. */
export function isFilledIn(box) {
  return box.keyframe === false;
}

/** @param {{label: (id) => object|null, track: (id) => object|null}} store */
export function createBoxStyle(store) {
  const shades = new Map(); // "color|number" -> shade

  function labelColor(labelId) {
    return store.label(labelId)?.color || FALLBACK_COLOR;
  }

  function trackNumber(box) {
    return box.track == null ? null : store.track(box.track)?.number ?? null;
  }

  /** The outline and tag colour of a box. */
  function color(box) {
    const base = labelColor(box.label);
    const number = trackNumber(box);
    if (number === null) return base;
    const key = `${base}|${number}`;
    let shade = shades.get(key);
    if (shade === undefined) {
      shade = trackShade(base, number);
      shades.set(key, shade);
    }
    return shade;
  }

  /** "person", or "person #3" for a box of track 3. */
  function tag(box) {
    const name = store.label(box.label)?.name ?? "?";
    const number = trackNumber(box);
    return number === null ? name : `${name} #${number}`;
  }

  return { color, tag, labelColor, trackNumber };
}

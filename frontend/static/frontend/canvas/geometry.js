// Pure geometry of the canvas: image <-> screen transforms, zoom around a point,
// hit-testing, the 8 resize handles, clamping to the image. No DOM, no allocation
// in the hot paths (hit-testing loops over the store's list).
//
// A view is {scale, tx, ty}: screen = image * scale + t (CSS pixels of the canvas).
// A box is anything with x_min, y_min, x_max, y_max in image pixels.

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 64;
export const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];
export const MIN_BOX = 1; // smallest box side, in image pixels

export function fitView(imageW, imageH, viewW, viewH, margin = 8) {
  const scale = Math.max(MIN_SCALE, Math.min((viewW - 2 * margin) / imageW, (viewH - 2 * margin) / imageH));
  return { scale, tx: (viewW - imageW * scale) / 2, ty: (viewH - imageH * scale) / 2 };
}

export function toScreen(view, x, y) {
  return { x: x * view.scale + view.tx, y: y * view.scale + view.ty };
}

export function toImage(view, sx, sy) {
  return { x: (sx - view.tx) / view.scale, y: (sy - view.ty) / view.scale };
}

/** A pointer event's position on the canvas (`rect`: its bounding box): screen {sx, sy} and image {ix, iy}. */
export function pointerAt(view, rect, clientX, clientY) {
  const sx = clientX - rect.left;
  const sy = clientY - rect.top;
  const p = toImage(view, sx, sy);
  return { sx, sy, ix: p.x, iy: p.y };
}

/** Zoom by `factor` keeping the image point under (sx, sy) where it is on screen. */
export function zoomAt(view, sx, sy, factor) {
  const scale = clamp(view.scale * factor, MIN_SCALE, MAX_SCALE);
  const k = scale / view.scale;
  return { scale, tx: sx - (sx - view.tx) * k, ty: sy - (sy - view.ty) * k };
}

export function pan(view, dx, dy) {
  return { scale: view.scale, tx: view.tx + dx, ty: view.ty + dy };
}

export function clamp(v, lo, hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/** A rectangle from two corners in any order, clamped to the image. */
export function rectFromPoints(ax, ay, bx, by, imageW, imageH) {
  return {
    x_min: clamp(Math.min(ax, bx), 0, imageW),
    y_min: clamp(Math.min(ay, by), 0, imageH),
    x_max: clamp(Math.max(ax, bx), 0, imageW),
    y_max: clamp(Math.max(ay, by), 0, imageH),
  };
}

export function contains(box, x, y) {
  return x >= box.x_min && x <= box.x_max && y >= box.y_min && y <= box.y_max;
}

/**
 * The box under image point (x, y): the smallest one containing it, so a small box
 * inside a big one stays reachable. `visible(box)` filters hidden layers.
 * Returns the box or null.
 */
export function hitBox(boxes, x, y, visible = null) {
  let best = null;
  let bestArea = Infinity;
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i];
    if (!contains(b, x, y) || (visible && !visible(b))) continue;
    const area = (b.x_max - b.x_min) * (b.y_max - b.y_min);
    if (area <= bestArea) {
      best = b;
      bestArea = area;
    }
  }
  return best;
}

/** Handle centre in image coordinates. */
export function handlePoint(box, handle) {
  const cx = (box.x_min + box.x_max) / 2;
  const cy = (box.y_min + box.y_max) / 2;
  const x = handle.includes("w") ? box.x_min : handle.includes("e") ? box.x_max : cx;
  const y = handle.includes("n") ? box.y_min : handle.includes("s") ? box.y_max : cy;
  return { x, y };
}

/** The handle of `box` within `radius` screen pixels of screen point (sx, sy), or null. */
export function hitHandle(view, box, sx, sy, radius = 7) {
  for (const h of HANDLES) {
    const p = handlePoint(box, h);
    const hx = p.x * view.scale + view.tx;
    const hy = p.y * view.scale + view.ty;
    if (Math.abs(hx - sx) <= radius && Math.abs(hy - sy) <= radius) return h;
  }
  return null;
}

/**
 * On a box too small on screen for 8 handles plus a middle, a press well inside it
 * moves the box instead of grabbing a handle that overlaps its middle.
 */
export function preferMove(view, box, x, y, small = 30, inset = 4) {
  const s = view.scale;
  if ((box.x_max - box.x_min) * s >= small && (box.y_max - box.y_min) * s >= small) return false;
  const d = inset / s;
  return x > box.x_min + d && x < box.x_max - d && y > box.y_min + d && y < box.y_max - d;
}

/**
 * Resize `start` by dragging `handle` by (dx, dy) image pixels. Dragging an edge past
 * the opposite one flips the box instead of inverting it; the result stays inside
 * the image and at least MIN_BOX wide and high.
 */
export function resizeBox(start, handle, dx, dy, imageW, imageH) {
  let { x_min, y_min, x_max, y_max } = start;
  if (handle.includes("w")) x_min += dx;
  if (handle.includes("e")) x_max += dx;
  if (handle.includes("n")) y_min += dy;
  if (handle.includes("s")) y_max += dy;
  const r = rectFromPoints(x_min, y_min, x_max, y_max, imageW, imageH);
  return ensureMinSize(r, imageW, imageH);
}

/** Move `start` by (dx, dy) image pixels, stopping at the image's edges without shrinking. */
export function moveBox(start, dx, dy, imageW, imageH) {
  const w = start.x_max - start.x_min;
  const h = start.y_max - start.y_min;
  const x = clamp(start.x_min + dx, 0, Math.max(0, imageW - w));
  const y = clamp(start.y_min + dy, 0, Math.max(0, imageH - h));
  return { x_min: x, y_min: y, x_max: x + w, y_max: y + h };
}

export function ensureMinSize(r, imageW, imageH) {
  if (r.x_max - r.x_min < MIN_BOX) {
    if (r.x_min + MIN_BOX <= imageW) r.x_max = r.x_min + MIN_BOX;
    else r.x_min = r.x_max - MIN_BOX;
  }
  if (r.y_max - r.y_min < MIN_BOX) {
    if (r.y_min + MIN_BOX <= imageH) r.y_max = r.y_min + MIN_BOX;
    else r.y_min = r.y_max - MIN_BOX;
  }
  return r;
}

/** Coordinates rounded to 1/100 px: what is sent to the API, so a save round-trips exactly. */
export function roundBox(r) {
  const q = (v) => Math.round(v * 100) / 100;
  return { x_min: q(r.x_min), y_min: q(r.y_min), x_max: q(r.x_max), y_max: q(r.y_max) };
}

/** CSS cursor for a handle. */
export function handleCursor(handle) {
  return { nw: "nwse-resize", se: "nwse-resize", ne: "nesw-resize", sw: "nesw-resize", n: "ns-resize", s: "ns-resize", e: "ew-resize", w: "ew-resize" }[handle] || "default";
}

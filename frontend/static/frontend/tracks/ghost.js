// The followed track's ghost: on a frame where the track has no box, where its object probably is
// (tracks/model.js ghostBox: between its nearest boxes, else the nearest) is drawn as a faint
// outline with "name #N?" on it. Grabbing the ghost places it — a real box of the track, saved
// through the page's queue, and the drag goes on as a move (so "adjust on frame 5" is one drag);
// K (or the button) places it where it is. The server re-interpolates the track around it.

import { contains, pointerAt, roundBox } from "../canvas/geometry.js";
import { trackShade } from "../lib/colors.js";

/** @param {import("../contract.js").AnnotateApp} app  @param {{editable: () => boolean}} options */
export function createGhost(app, { editable }) {
  const { store, canvas } = app;
  let ghost = null; // {label, x_min…, track, number}

  function place() {
    if (!ghost || !editable()) return null;
    const g = ghost;
    ghost = null;
    const cid = store.addLocal({ label: g.label, ...roundBox(g), track: g.track });
    app.saves.create(cid);
    app.select(cid);
    app.render();
    return cid;
  }

  // Before the canvas tools see the press (capture): the placed box is then under the pointer,
  // so the tools pick it and move it like any box.
  canvas.addEventListener("pointerdown", (e) => {
    if (!ghost || e.button !== 0) return;
    const p = pointerAt(app.view(), canvas.getBoundingClientRect(), e.clientX, e.clientY);
    const onBox = store.list().some((b) => !b.doomed && app.layers.visible(b) && contains(b, p.ix, p.iy));
    if (!onBox && contains(ghost, p.ix, p.iy)) place();
  }, { capture: true });

  app.on("render", () => {
    if (!ghost) return;
    const ctx = app.renderer.ctx;
    const v = app.view();
    const s = v.scale;
    const dpr = globalThis.devicePixelRatio || 1;
    const color = trackShade(store.label(ghost.label)?.color || "#1f77b4", ghost.number);
    const x = ghost.x_min * s + v.tx;
    const y = ghost.y_min * s + v.ty;
    ctx.save();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.globalAlpha = 0.8;
    ctx.setLineDash([2, 4]);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = color;
    ctx.strokeRect(x, y, (ghost.x_max - ghost.x_min) * s, (ghost.y_max - ghost.y_min) * s);
    ctx.font = "12px system-ui, sans-serif";
    ctx.textBaseline = "top";
    ctx.fillStyle = color;
    ctx.fillText(`${store.label(ghost.label)?.name ?? "?"} #${ghost.number}? drag or K to place`, x + 2, y + 2);
    ctx.restore();
  });

  return {
    /** Show `box` (or nothing: null) as the ghost of `track`. */
    set(box, track) {
      const next = box && track ? { ...box, label: track.label, track: track.id, number: track.number } : null;
      if (!next && !ghost) return;
      ghost = next;
      canvas.dataset.ghost = ghost ? String(ghost.track) : "";
      app.render();
    },
    place,
    get: () => ghost,
  };
}

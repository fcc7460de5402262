// Ghosts of tracks: on a frame where a track of the sequence has no box but has boxes around,
// where its object probably is (tracks/model.js ghostBox: between its nearest boxes, else the
// nearest) is drawn as a faint dotted outline tagged "name #N?". Grabbing a ghost places it — a
// real box of the track, saved through the page's queue — and the drag goes on as a move, so
// "adjust on frame 5" is one drag; K (or the button) places the followed track's ghost as it is.
// The server then re-interpolates the track around the new keyframe.

import { contains, pointerAt, roundBox } from "../canvas/geometry.js";
import { trackShade } from "../lib/colors.js";

/** @param {import("../contract.js").AnnotateApp} app  @param {{editable: () => boolean}} options */
export function createGhosts(app, { editable }) {
  const { store, canvas } = app;
  let ghosts = []; // [{label, x_min…, track, number}]

  function place(ghost) {
    if (!ghost || !editable()) return null;
    ghosts = ghosts.filter((g) => g !== ghost);
    canvas.dataset.ghosts = String(ghosts.length);
    const cid = store.addLocal({ label: ghost.label, ...roundBox(ghost), track: ghost.track });
    app.saves.create(cid);
    app.select(cid);
    app.render();
    return cid;
  }

  // Before the canvas tools see the press (capture): the placed box is then under the pointer,
  // so the tools pick it and move it like any box. A real box under the pointer wins.
  canvas.addEventListener("pointerdown", (e) => {
    if (!ghosts.length || e.button !== 0 || e.shiftKey) return;
    const p = pointerAt(app.view(), canvas.getBoundingClientRect(), e.clientX, e.clientY);
    if (store.list().some((b) => !b.doomed && app.layers.visible(b) && contains(b, p.ix, p.iy))) return;
    const hit = ghosts.filter((g) => contains(g, p.ix, p.iy)).sort((a, b) => area(a) - area(b))[0];
    if (hit) place(hit);
  }, { capture: true });

  const area = (g) => (g.x_max - g.x_min) * (g.y_max - g.y_min);

  app.on("render", () => {
    if (!ghosts.length) return;
    const ctx = app.renderer.ctx;
    const v = app.view();
    const s = v.scale;
    const dpr = globalThis.devicePixelRatio || 1;
    ctx.save();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.globalAlpha = 0.8;
    ctx.setLineDash([2, 4]);
    ctx.lineWidth = 1.5;
    ctx.font = "12px system-ui, sans-serif";
    ctx.textBaseline = "top";
    for (const g of ghosts) {
      if (!app.layers.visible({ label: g.label, source: "human" })) continue;
      const color = trackShade(store.label(g.label)?.color || "#1f77b4", g.number);
      const x = g.x_min * s + v.tx;
      const y = g.y_min * s + v.ty;
      ctx.strokeStyle = ctx.fillStyle = color;
      ctx.strokeRect(x, y, (g.x_max - g.x_min) * s, (g.y_max - g.y_min) * s);
      ctx.fillText(`${store.label(g.label)?.name ?? "?"} #${g.number}?`, x + 2, y + 2);
    }
    ctx.restore();
  });

  return {
    /** Show these ghosts: [{box, track}] (box: geometry; track: the store's track). */
    set(list) {
      const next = list.filter((x) => x.box && x.track).map(({ box, track }) => ({ ...box, label: track.label, track: track.id, number: track.number }));
      if (!next.length && !ghosts.length) return;
      ghosts = next;
      canvas.dataset.ghosts = String(ghosts.length);
      app.render();
    },
    /** Place the ghost of `track` where it is; null when it has none. */
    placeTrack(track) {
      return place(ghosts.find((g) => g.track === track));
    },
    list: () => ghosts,
  };
}

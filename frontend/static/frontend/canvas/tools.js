// Pointer tools on the canvas: draw (drag on empty space), select (click), move
// (drag a box), resize (drag one of the 8 handles of the selected box), pan (space
// + drag, or the middle button), zoom (wheel, around the cursor). Geometry stays in
// image pixels; every finished gesture is saved at once through `saves`.
//
// ctx: {canvas, store, layers, saves, getView, setView, imageSize, currentLabel,
//       selectedCid, select(cid|null), requestRender, spaceHeld, emit, editable}
// `editable()` says whether the frame may be changed (and tells the user why not); on a
// read-only frame a click still selects and the view still pans and zooms.

import { hitBox, hitHandle, handleCursor, moveBox, pointerAt, preferMove, rectFromPoints, resizeBox, roundBox, zoomAt } from "./geometry.js";

const MIN_DRAW_PX = 4; // a smaller drag is a click, not a box

export function installTools(ctx) {
  const { canvas, store, layers, saves } = ctx;
  let gesture = null; // {mode, sx, sy, ix, iy, cid, start, handle, draft, moved}

  const pickable = (b) => !b.doomed && layers.visible(b);

  const point = (e) => pointerAt(ctx.getView(), canvas.getBoundingClientRect(), e.clientX, e.clientY);

  function selectedBox() {
    const cid = ctx.selectedCid();
    return cid === null ? null : store.get(cid);
  }

  function onDown(e) {
    if (e.button !== 0 && e.button !== 1) return;
    canvas.focus({ preventScroll: true });
    const p = point(e);
    const view = ctx.getView();
    canvas.setPointerCapture?.(e.pointerId);
    if (e.button === 1 || ctx.spaceHeld()) {
      gesture = { mode: "pan", ...p, start: view };
      canvas.style.cursor = "grabbing";
      return;
    }
    const sel = selectedBox();
    let handle = sel && pickable(sel) ? hitHandle(view, sel, p.sx, p.sy) : null;
    if (handle && preferMove(view, sel, p.ix, p.iy)) handle = null;
    const editable = ctx.editable ? ctx.editable : () => true;
    if (handle && !editable()) return;
    if (handle) {
      gesture = { mode: "resize", ...p, cid: sel.cid, handle, start: { ...sel }, moved: false };
      return;
    }
    const hit = hitBox(store.list(), p.ix, p.iy, pickable);
    if (hit) {
      ctx.select(hit.cid); // selecting is fine on a read-only frame; moving is checked when the drag starts
      gesture = { mode: "move", ...p, cid: hit.cid, start: { ...hit }, moved: false };
      canvas.style.cursor = "move";
      return;
    }
    ctx.select(null);
    if (!editable()) return;
    const label = ctx.currentLabel();
    if (label === null) {
      ctx.emit("notice", { text: "Create a label for this project first.", level: "info" });
      return;
    }
    gesture = { mode: "draw", ...p, draft: null, label };
  }

  function onMove(e) {
    const p = point(e);
    if (!gesture) return hover(p);
    const { w, h } = ctx.imageSize();
    const g = gesture;
    if (g.mode === "pan") {
      ctx.setView({ scale: g.start.scale, tx: g.start.tx + p.sx - g.sx, ty: g.start.ty + p.sy - g.sy });
    } else if (g.mode === "draw") {
      g.draft = { label: g.label, ...rectFromPoints(g.ix, g.iy, p.ix, p.iy, w, h) };
    } else {
      const dx = p.ix - g.ix;
      const dy = p.iy - g.iy;
      if (!g.moved && Math.hypot(p.sx - g.sx, p.sy - g.sy) < 2) return;
      if (!g.moved && ctx.editable && !ctx.editable()) return void (gesture = null);
      g.moved = true;
      const next = g.mode === "move" ? moveBox(g.start, dx, dy, w, h) : resizeBox(g.start, g.handle, dx, dy, w, h);
      const b = store.patch(g.cid, next, false);
      // Others see a saved box move while it moves (live.js sends it, throttled).
      if (b && b.id !== null) ctx.emit("box.dragging", { box: b.id, label: b.label, x_min: b.x_min, y_min: b.y_min, x_max: b.x_max, y_max: b.y_max });
    }
    ctx.requestRender();
  }

  function onUp(e) {
    const g = gesture;
    gesture = null;
    canvas.releasePointerCapture?.(e.pointerId);
    canvas.style.cursor = "";
    if (!g) return;
    if (g.mode === "draw" && g.draft) {
      const s = ctx.getView().scale;
      const d = g.draft;
      if ((d.x_max - d.x_min) * s >= MIN_DRAW_PX && (d.y_max - d.y_min) * s >= MIN_DRAW_PX) {
        const cid = store.addLocal({ label: g.label, ...roundBox(d) });
        saves.create(cid);
        ctx.select(cid);
        ctx.emit("box.drawn", { cid });
      }
    } else if ((g.mode === "move" || g.mode === "resize") && g.moved) {
      const b = store.get(g.cid);
      if (b) {
        store.patch(g.cid, roundBox(b));
        saves.update(g.cid);
        ctx.emit("box.changed", { cid: g.cid, mode: g.mode });
      }
    }
    ctx.requestRender();
  }

  /** Escape during a gesture puts the box back where it was. Returns true if one was cancelled. */
  function cancel() {
    const g = gesture;
    if (!g) return false;
    gesture = null;
    if ((g.mode === "move" || g.mode === "resize") && g.moved) store.patch(g.cid, g.start);
    ctx.requestRender();
    return true;
  }

  function hover(p) {
    if (ctx.spaceHeld()) return void (canvas.style.cursor = "grab");
    const sel = selectedBox();
    const handle = sel && pickable(sel) ? hitHandle(ctx.getView(), sel, p.sx, p.sy) : null;
    if (handle) canvas.style.cursor = handleCursor(handle);
    else canvas.style.cursor = hitBox(store.list(), p.ix, p.iy, pickable) ? "move" : "crosshair";
  }

  function onWheel(e) {
    e.preventDefault();
    const p = point(e);
    const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
    ctx.setView(zoomAt(ctx.getView(), p.sx, p.sy, factor));
  }

  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", () => cancel());
  canvas.addEventListener("wheel", onWheel, { passive: false });
  canvas.addEventListener("auxclick", (e) => e.preventDefault());

  return { cancel, draft: () => (gesture && gesture.mode === "draw" ? gesture.draft : null), busy: () => gesture !== null };
}

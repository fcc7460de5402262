// Draws the frame and its boxes. Built for 1,000+ boxes in well under 16 ms:
// the picture sits on its own canvas underneath, redrawn only when the view or the
// image changes, so an edit redraws boxes only; one path per (label, source) style
// thanks to the store's sorted list; no allocation per box; label names only where
// a box is big enough on screen (backdrops batched into one fill, one fillStyle per
// label run, widths cached). Human boxes are solid, AI boxes dashed; boxes with an
// unsaved change get a white outline (pending) or a red one and a "!" badge
// (retrying, failed, conflict, log-in needed). A box in a track is drawn in its track's
// shade with "name #N" on its tag; one interpolation or the tracker filled in (not a
// keyframe) is thin and dotted (canvas/box_style.js).
//
// Layers, bottom to top: the picture (own canvas), boxes, the AI layer (pending
// predictions, dashed and thinner), unsaved-change outlines, names and badges (and the AI
// marks), others' drags, the selected box with its handles, the box being drawn, the
// selected AI box. The three AI layers are canvas/ai_layer.js.
//
// Reads: store.list(), store.predictions(), layers.visible(box), and the page's
// view/image/selection/draft/remote drags/selected prediction through the getters
// passed in. stats tells tests and the benchmark what the last frame drew.

import { HANDLES, handlePoint } from "./geometry.js";
import { textOn } from "../lib/colors.js";
import { createBoxStyle, isFilledIn } from "./box_style.js";
import { createAiLayer } from "./ai_layer.js";

const LABEL_MIN_H = 16; // screen px: lower boxes get no name
const MAX_LABELS = 400; // beyond this many names the frame is unreadable anyway
const FONT = "12px system-ui, sans-serif";
const BAD = new Set(["retrying", "failed", "conflict", "auth"]);
const gone = (b) => b.doomed && !BAD.has(b.save); // deleted here and saved (a failed delete stays drawn)

/**
 * @param {HTMLCanvasElement} canvas
 * @param {object} sources  getters read on every frame
 * @param {() => Array<object>|null} [sources.remote]  boxes others are dragging (live.js, through `live:drags`)
 * @param {() => object|null} [sources.selectedPrediction]  the AI box picked for Enter / Del (ai/panel.js)
 */
export function createRenderer(canvas, { store, layers, view, image, selected, draft, remote = () => null, selectedPrediction = () => null }) {
  const ctx = canvas.getContext("2d");
  const bg = document.createElement("canvas"); // the picture, underneath
  bg.className = "canvas-bg";
  bg.setAttribute("aria-hidden", "true");
  canvas.parentNode.insertBefore(bg, canvas);
  const bgCtx = bg.getContext("2d", { alpha: false });
  let bgKey = ""; // view + image the background was drawn for
  const textWidth = new Map(); // tag text -> px
  const style = createBoxStyle(store);
  let named = new Uint8Array(1024); // per list index: gets a name this frame (reused, grown when needed)
  const stats = { boxes: 0, labels: 0, predictions: 0, unsaved: 0, ms: 0, background: 0, aiMarks: { accepted: 0, corrected: 0, tracked: 0 }, filledIn: 0, trackTags: 0 };
  let dpr = 1;
  const patterns = new Map(); // colour -> dashed stroke pattern
  const noDash = [];
  const ai = createAiLayer({ ctx, store, layers, style, dashed: (color) => dashedStyle(color), gone, selectedPrediction });

  function resize() {
    dpr = globalThis.devicePixelRatio || 1;
    const r = canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width * dpr));
    const h = Math.max(1, Math.round(r.height * dpr));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = bg.width = w;
      canvas.height = bg.height = h;
      bgKey = "";
    }
    return { width: r.width, height: r.height };
  }

  // Dashes are built into a checkerboard pattern per colour: a solid strokeRect with it
  // reads as dashed, and costs a fraction of setLineDash (which software raster
  // turns into thousands of path segments).
  // `cell` 6: AI dashes; 3: the dots of boxes interpolation or the tracker filled in.
  function dashedStyle(color, cell = 6) {
    const key = `${color}|${cell}`;
    let p = patterns.get(key);
    if (!p) {
      const tile = document.createElement("canvas");
      tile.width = tile.height = cell * 2;
      const t = tile.getContext("2d");
      t.fillStyle = color;
      t.fillRect(0, 0, cell, cell);
      t.fillRect(cell, cell, cell, cell);
      p = ctx.createPattern(tile, "repeat");
      patterns.set(key, p);
    }
    return p;
  }

  function strokeBoxes(list, v, filledIn) {
    // strokeRect per box in screen pixels: Skia's fast path for rectangles (one big
    // path of rects strokes ~30x slower); the style changes once per colour run.
    const s = v.scale;
    let run = null;
    let n = 0;
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if ((b.doomed && !BAD.has(b.save)) || !layers.visible(b) || isFilledIn(b) !== filledIn) continue;
      const color = style.color(b);
      if (color !== run) {
        run = color;
        ctx.strokeStyle = filledIn ? dashedStyle(color, 3) : color;
      }
      ctx.strokeRect(b.x_min * s + v.tx, b.y_min * s + v.ty, (b.x_max - b.x_min) * s, (b.y_max - b.y_min) * s);
      n++;
    }
    return n;
  }

  function render() {
    const t0 = performance.now();
    const v = view();
    const list = store.list();
    const s = v.scale;
    drawBackground(v, image());
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.lineWidth = 2;
    stats.boxes = strokeBoxes(list, v, false);
    ctx.lineWidth = 1.25;
    stats.filledIn = strokeBoxes(list, v, true);
    stats.boxes += stats.filledIn;

    stats.predictions = ai.drawPredictions(v);

    // Unsaved changes: visible on the box until the server has them.
    stats.unsaved = 0;
    ctx.lineWidth = 3;
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if (!b.save || (b.doomed && !BAD.has(b.save))) continue;
      ctx.strokeStyle = BAD.has(b.save) ? "#ff3b30" : "#ffffff";
      ctx.strokeRect(b.x_min * s + v.tx - 2, b.y_min * s + v.ty - 2, (b.x_max - b.x_min) * s + 4, (b.y_max - b.y_min) * s + 4);
      stats.unsaved++;
    }

    drawLabelsAndBadges(list, v);
    drawRemote(v);
    drawSelection(v);
    drawDraft(v);
    ai.drawSelected(v);
    stats.ms = performance.now() - t0;
    return stats;
  }

  function drawBackground(v, img) {
    const ready = img && img.complete && img.naturalWidth > 0;
    const key = `${v.scale}|${v.tx}|${v.ty}|${ready ? img.src : ""}|${bg.width}x${bg.height}`;
    if (key === bgKey) return;
    bgKey = key;
    stats.background++;
    bgCtx.setTransform(1, 0, 0, 1, 0, 0);
    bgCtx.fillStyle = "#1b1e23";
    bgCtx.fillRect(0, 0, bg.width, bg.height);
    if (!ready) return;
    bgCtx.setTransform(dpr * v.scale, 0, 0, dpr * v.scale, dpr * v.tx, dpr * v.ty);
    bgCtx.imageSmoothingEnabled = v.scale < 3;
    bgCtx.drawImage(img, 0, 0);
  }

  function drawLabelsAndBadges(list, v) {
    const s = v.scale;
    ctx.font = FONT;
    ctx.textBaseline = "top";
    // Pass 1: which boxes get a name (big enough, visible).
    let n = 0;
    if (named.length < list.length) named = new Uint8Array(list.length * 2);
    named.fill(0, 0, list.length);
    for (let i = 0; i < list.length && n < MAX_LABELS; i++) {
      const b = list[i];
      if (b.doomed && !BAD.has(b.save)) continue;
      const h = (b.y_max - b.y_min) * s;
      if (h < LABEL_MIN_H || !layers.visible(b)) continue;
      const w = (b.x_max - b.x_min) * s;
      const tw = widthOf(style.tag(b));
      if (w < Math.min(tw, 40) + 6) continue;
      named[i] = 1;
      n++;
    }
    // Pass 2: a tag in the box's colour behind each name (fillRect each: rectangles are
    // Skia's fast path), one fillStyle per colour run (the list is sorted by label).
    let run = null;
    let tracked = 0;
    for (let i = 0; i < list.length; i++) {
      if (!named[i]) continue;
      const b = list[i];
      const color = style.color(b);
      if (color !== run) {
        run = color;
        ctx.fillStyle = color;
      }
      if (b.track != null && style.trackNumber(b) !== null) tracked++;
      ctx.fillRect(b.x_min * s + v.tx, b.y_min * s + v.ty, Math.min(widthOf(style.tag(b)), (b.x_max - b.x_min) * s - 6) + 6, 16);
    }
    stats.trackTags = tracked;
    // Pass 3: the names in black or white, whichever contrasts more with the tag (≥ 4.5:1
    // for any colour, so legible on any picture).
    run = null;
    for (let i = 0; i < list.length; i++) {
      if (!named[i]) continue;
      const b = list[i];
      const color = style.color(b);
      if (color !== run) {
        run = color;
        ctx.fillStyle = textOn(color);
      }
      ctx.fillText(style.tag(b), b.x_min * s + v.tx + 3, b.y_min * s + v.ty + 2, (b.x_max - b.x_min) * s - 6);
    }
    stats.labels = n;
    ai.drawMarks(list, v, stats.aiMarks);
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if (!b.save || (b.doomed && !BAD.has(b.save)) || !layers.visible(b)) continue;
      badge(b.x_max * s + v.tx, b.y_min * s + v.ty, BAD.has(b.save));
    }
  }

  function widthOf(text) {
    let tw = textWidth.get(text);
    if (tw === undefined) {
      tw = ctx.measureText(text).width;
      textWidth.set(text, tw);
    }
    return tw;
  }

  function badge(x, y, bad) {
    ctx.fillStyle = bad ? "#ff3b30" : "#f5a623";
    ctx.beginPath();
    ctx.arc(x, y, 7, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = "#000";
    ctx.fillText(bad ? "!" : "…", x - (bad ? 1.5 : 4), y - 6);
  }

  function drawSelection(v) {
    const b = selected();
    if (!b || b.doomed || !layers.visible(b)) return;
    const s = v.scale;
    const x = b.x_min * s + v.tx;
    const y = b.y_min * s + v.ty;
    ctx.fillStyle = "rgba(255,255,255,0.12)";
    ctx.fillRect(x, y, (b.x_max - b.x_min) * s, (b.y_max - b.y_min) * s);
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#ffffff";
    ctx.strokeRect(x - 0.5, y - 0.5, (b.x_max - b.x_min) * s + 1, (b.y_max - b.y_min) * s + 1);
    ctx.fillStyle = "#ffffff";
    ctx.strokeStyle = style.color(b);
    for (const hd of HANDLES) {
      const p = handlePoint(b, hd);
      const hx = p.x * s + v.tx;
      const hy = p.y * s + v.ty;
      ctx.fillRect(hx - 4, hy - 4, 8, 8);
      ctx.strokeRect(hx - 4, hy - 4, 8, 8);
    }
  }

  /** Boxes other people are dragging or drawing right now (live.js), as light ghosts. */
  function drawRemote(v) {
    const drags = remote();
    if (!drags || !drags.length) return;
    const s = v.scale;
    ctx.lineWidth = 1.5;
    for (const d of drags) {
      const x = d.x_min * s + v.tx;
      const y = d.y_min * s + v.ty;
      ctx.fillStyle = "rgba(255,255,255,0.10)";
      ctx.fillRect(x, y, (d.x_max - d.x_min) * s, (d.y_max - d.y_min) * s);
      ctx.strokeStyle = dashedStyle("#ffffff");
      ctx.strokeRect(x, y, (d.x_max - d.x_min) * s, (d.y_max - d.y_min) * s);
    }
  }

  function drawDraft(v) {
    const d = draft();
    if (!d) return;
    const s = v.scale;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([5, 3]);
    ctx.strokeStyle = style.labelColor(d.label);
    ctx.strokeRect(d.x_min * s + v.tx, d.y_min * s + v.ty, (d.x_max - d.x_min) * s, (d.y_max - d.y_min) * s);
    ctx.setLineDash(noDash);
  }

  return { render, resize, stats, ctx, background: bg };
}

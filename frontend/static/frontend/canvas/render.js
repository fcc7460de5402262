// Draws the frame and its boxes. Built for 1,000+ boxes in well under 16 ms:
// one path per (label, source) style thanks to the store's sorted list, no
// allocation per box, label names only where a box is big enough on screen, and
// text widths cached per label. Human boxes are solid, AI boxes dashed; boxes with
// an unsaved change get a dashed white outline (pending) or a red one and a "!"
// badge (retrying, failed, conflict, log-in needed).
//
// Reads: store.list(), store.predictions(), layers.visible(box), and the page's
// view/image/selection/draft through the getters passed in. stats() tells tests
// and the benchmark what the last frame drew.

import { HANDLES, handlePoint } from "./geometry.js";

const FALLBACK_COLOR = "#1f77b4";
const LABEL_MIN_W = 36; // screen px: smaller boxes get no name
const LABEL_MIN_H = 14;
const FONT = "12px system-ui, sans-serif";
const BAD = new Set(["retrying", "failed", "conflict", "auth"]);

export function createRenderer(canvas, { store, layers, view, image, selected, draft }) {
  const ctx = canvas.getContext("2d", { alpha: false });
  const textWidth = new Map(); // label name -> px
  const stats = { boxes: 0, labels: 0, predictions: 0, unsaved: 0, ms: 0, visibleIds: null };
  let dpr = 1;
  let dash = [6, 4];
  const noDash = [];

  function colorOf(labelId) {
    return store.label(labelId)?.color || FALLBACK_COLOR;
  }

  function resize() {
    dpr = globalThis.devicePixelRatio || 1;
    const r = canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width * dpr));
    const h = Math.max(1, Math.round(r.height * dpr));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    return { width: r.width, height: r.height };
  }

  function strokeBoxes(list, v, wanted) {
    // wanted: "human" | "ai"; one stroke per label colour run
    let run = -1;
    let n = 0;
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if (b.source === "ai" ? wanted !== "ai" : wanted !== "human") continue;
      if ((b.doomed && !BAD.has(b.save)) || !layers.visible(b)) continue;
      if (b.label !== run) {
        if (run !== -1) ctx.stroke();
        run = b.label;
        ctx.strokeStyle = colorOf(run);
        ctx.beginPath();
      }
      ctx.rect(b.x_min, b.y_min, b.x_max - b.x_min, b.y_max - b.y_min);
      n++;
    }
    if (run !== -1) ctx.stroke();
    return n;
  }

  function render() {
    const t0 = performance.now();
    const v = view();
    const img = image();
    const list = store.list();
    const s = v.scale;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#1b1e23";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr * s, 0, 0, dpr * s, dpr * v.tx, dpr * v.ty);
    if (img && img.complete && img.naturalWidth) {
      ctx.imageSmoothingEnabled = s < 3;
      ctx.drawImage(img, 0, 0);
    }

    ctx.lineWidth = 2 / s;
    ctx.setLineDash(noDash);
    stats.boxes = strokeBoxes(list, v, "human");
    dash[0] = 6 / s;
    dash[1] = 4 / s;
    ctx.setLineDash(dash);
    stats.boxes += strokeBoxes(list, v, "ai");

    // AI predictions waiting for a decision: dashed, thinner.
    const preds = store.predictions();
    stats.predictions = 0;
    ctx.lineWidth = 1.5 / s;
    for (let i = 0; i < preds.length; i++) {
      const p = preds[i];
      if (p.status && p.status !== "pending") continue;
      if (!layers.visiblePrediction(p)) continue;
      ctx.strokeStyle = colorOf(p.label);
      ctx.strokeRect(p.x_min, p.y_min, p.x_max - p.x_min, p.y_max - p.y_min);
      stats.predictions++;
    }

    // Unsaved changes: visible on the box until the server has them.
    stats.unsaved = 0;
    ctx.lineWidth = 3 / s;
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if (!b.save || (b.doomed && !BAD.has(b.save))) continue;
      ctx.strokeStyle = BAD.has(b.save) ? "#ff3b30" : "#ffffff";
      ctx.strokeRect(b.x_min, b.y_min, b.x_max - b.x_min, b.y_max - b.y_min);
      stats.unsaved++;
    }
    ctx.setLineDash(noDash);

    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawLabelsAndBadges(list, v);
    drawSelection(v);
    drawDraft(v);
    stats.ms = performance.now() - t0;
    return stats;
  }

  function drawLabelsAndBadges(list, v) {
    const s = v.scale;
    ctx.font = FONT;
    ctx.textBaseline = "top";
    stats.labels = 0;
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if (b.doomed && !BAD.has(b.save)) continue;
      if (!layers.visible(b)) continue;
      const w = (b.x_max - b.x_min) * s;
      const h = (b.y_max - b.y_min) * s;
      const x = b.x_min * s + v.tx;
      const y = b.y_min * s + v.ty;
      if (b.save) badge(x + w, y, BAD.has(b.save));
      if (w < LABEL_MIN_W || h < LABEL_MIN_H) continue;
      const label = store.label(b.label);
      const name = label ? label.name : "?";
      let tw = textWidth.get(name);
      if (tw === undefined) {
        tw = ctx.measureText(name).width;
        textWidth.set(name, tw);
      }
      const shown = Math.min(tw, w - 6);
      ctx.fillStyle = "rgba(0,0,0,0.62)";
      ctx.fillRect(x, y, shown + 6, 16);
      ctx.fillStyle = label ? label.color : FALLBACK_COLOR;
      ctx.fillText(name, x + 3, y + 2, w - 6);
      stats.labels++;
    }
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
    ctx.strokeStyle = colorOf(b.label);
    for (const hd of HANDLES) {
      const p = handlePoint(b, hd);
      const hx = p.x * s + v.tx;
      const hy = p.y * s + v.ty;
      ctx.fillRect(hx - 4, hy - 4, 8, 8);
      ctx.strokeRect(hx - 4, hy - 4, 8, 8);
    }
  }

  function drawDraft(v) {
    const d = draft();
    if (!d) return;
    const s = v.scale;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([5, 3]);
    ctx.strokeStyle = colorOf(d.label);
    ctx.strokeRect(d.x_min * s + v.tx, d.y_min * s + v.ty, (d.x_max - d.x_min) * s, (d.y_max - d.y_min) * s);
    ctx.setLineDash(noDash);
  }

  return { render, resize, stats, ctx };
}

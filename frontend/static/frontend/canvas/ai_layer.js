// The renderer's AI layers: pending predictions (dashed, thinner, above the boxes), the AI box
// picked for Enter / Del (a thick yellow outline with handles, on top of everything), and the
// marks on boxes that came from the AI (accepted "AI", corrected "AI✎", the tracker's "TRK").
// It emits nothing and keeps no state of its own: canvas/render.js calls it at its place in the
// layer order, every frame, with the frame's view; what it drew goes into the renderer's stats
// (`predictions`, `aiMarks`), which tests and the benchmark read.
//
// Reads: store.predictions(), store.prediction(id) (a box's decision: accepted or corrected),
// layers.visiblePrediction(p) / layers.visible(box), and the selected prediction through the
// getter the page passes in (its id comes from ai/panel.js through `ai.selected`).

import { HANDLES, handlePoint } from "./geometry.js";
import { isPending } from "../ai/predictions.js";

const SELECTED_PREDICTION = "#ffd60a";
const NO_DASH = [];

/** The marks of decided AI boxes; the `?` overlay's legend (ui.js) uses the same. White text on both is over 4.5:1. */
export const AI_MARK = Object.freeze({
  accepted: { text: "AI", bg: "#0f766e" },
  corrected: { text: "AI✎", bg: "#6d28d9" },
  tracked: { text: "TRK", bg: "#374151" },
});

/**
 * @param {object} deps
 * @param {CanvasRenderingContext2D} deps.ctx   the boxes' canvas, already in CSS pixels
 * @param {ReturnType<import("../store.js").createStore>} deps.store
 * @param {ReturnType<import("../layers.js").createLayers>} deps.layers
 * @param {ReturnType<import("./box_style.js").createBoxStyle>} deps.style   label colours
 * @param {(color: string) => CanvasPattern} deps.dashed   the renderer's dashed stroke for a colour
 * @param {(box: import("../contract.js").Box) => boolean} deps.gone   a box deleted here, no longer drawn
 * @param {() => import("../contract.js").Prediction|null} deps.selectedPrediction   the AI box Enter / Del act on
 */
export function createAiLayer({ ctx, store, layers, style, dashed, gone, selectedPrediction }) {
  /**
   * Predictions waiting for a decision, dashed and thinner. Returns how many it drew.
   * @param {import("../contract.js").View} v
   */
  function drawPredictions(v) {
    const preds = store.predictions();
    const s = v.scale;
    let n = 0;
    ctx.lineWidth = 1.5;
    for (let i = 0; i < preds.length; i++) {
      const p = preds[i];
      if (!isPending(p) || !layers.visiblePrediction(p)) continue;
      ctx.strokeStyle = dashed(style.labelColor(p.label));
      ctx.strokeRect(p.x_min * s + v.tx, p.y_min * s + v.ty, (p.x_max - p.x_min) * s, (p.y_max - p.y_min) * s);
      n++;
    }
    return n;
  }

  /**
   * The AI box Enter / Del act on: a thick outline over everything else, with handles (a pending
   * AI box can be resized or moved before it is accepted).
   * @param {import("../contract.js").View} v
   */
  function drawSelected(v) {
    const p = selectedPrediction();
    if (!p || !isPending(p) || !layers.visiblePrediction(p)) return;
    const s = v.scale;
    ctx.lineWidth = 3;
    ctx.setLineDash([6, 3]);
    ctx.strokeStyle = SELECTED_PREDICTION;
    ctx.strokeRect(p.x_min * s + v.tx, p.y_min * s + v.ty, (p.x_max - p.x_min) * s, (p.y_max - p.y_min) * s);
    ctx.setLineDash(NO_DASH);
    ctx.lineWidth = 1;
    ctx.fillStyle = "#ffffff";
    for (const hd of HANDLES) {
      const q = handlePoint(p, hd);
      ctx.fillRect(q.x * s + v.tx - 4, q.y * s + v.ty - 4, 8, 8);
      ctx.strokeRect(q.x * s + v.tx - 4, q.y * s + v.ty - 4, 8, 8);
    }
  }

  /**
   * Accepted AI boxes: "AI" on teal; corrected ones: "AI✎" on purple; the tracker's: "TRK"
   * (bottom right, inside). Counts them into `marks`.
   * @param {import("../contract.js").Box[]} list   the store's boxes
   * @param {import("../contract.js").View} v
   * @param {{accepted: number, corrected: number, tracked: number}} marks
   */
  function drawMarks(list, v, marks) {
    const s = v.scale;
    marks.accepted = marks.corrected = marks.tracked = 0;
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if ((b.source !== "ai" && b.source !== "tracked") || gone(b) || !layers.visible(b)) continue;
      const kind = b.source === "tracked" ? "tracked" : store.prediction(b.prediction)?.status === "corrected" ? "corrected" : "accepted";
      const text = AI_MARK[kind].text;
      const w = ctx.measureText(text).width + 6;
      const x = b.x_max * s + v.tx - w - 1;
      const y = b.y_max * s + v.ty - 15;
      ctx.fillStyle = AI_MARK[kind].bg;
      ctx.fillRect(x, y, w, 14);
      ctx.fillStyle = "#ffffff";
      ctx.fillText(text, x + 3, y + 1);
      marks[kind]++;
    }
  }

  return { drawPredictions, drawSelected, drawMarks };
}

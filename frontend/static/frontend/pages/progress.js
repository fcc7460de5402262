// The stacked progress bar shared by the project list and the project page.
import { h } from "../lib/dom.js";
import { STATUS_LABELS } from "../lib/constants.js";
import { progressSegments } from "./status.js";

export function progressBar(progress) {
  const bar = h("div", {
    class: "progress",
    role: "img",
    "aria-label": `${progress.done} of ${progress.total} frames submitted or reviewed`,
  });
  for (const seg of progressSegments(progress)) {
    bar.append(h("span", { class: `status-${seg.status}`, style: { width: `${seg.width}%` }, title: `${STATUS_LABELS[seg.status]}: ${seg.count}` }));
  }
  return bar;
}

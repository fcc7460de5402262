// "Add frames" on the project page (managers): drop or pick images, zips or a folder; they go
// up in natural name order, a few files per request (a zip alone; a large file in chunks,
// upload_chunked.js), with a bar per file and one overall (bytes sent, frames stored),
// cancellable; a failed file is retried on its own.
// The rules (order, chunks, plurals) are in upload_plan.js; this module only drives the DOM.
import { pageHttp } from "../lib/http.js";
import { h, clear } from "../lib/dom.js";
import { plural } from "../lib/constants.js";
import { kindOf, planChunks, selectFiles, shareProgress, summary } from "./upload_plan.js";
import { CHUNK_BYTES, CHUNK_OVER, sendInChunks } from "./upload_chunked.js";

const STATUS_TEXT = {
  queued: "waiting",
  sending: "sending…",
  stored: "stored",
  duplicate: "already in the project",
  failed: "failed",
  cancelled: "cancelled",
};

function megabytes(bytes) {
  return `${(bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0)} MB`;
}

function bar(testid) {
  const fill = h("span", { class: "upload-fill" });
  const node = h("div", { class: "upload-bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": 0, "data-testid": testid }, fill);
  return {
    node,
    set(fraction) {
      const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
      fill.style.width = `${percent}%`;
      node.setAttribute("aria-valuenow", String(percent));
    },
  };
}

/** Files of a drop, folders walked (their paths kept for ordering). */
async function droppedFiles(dataTransfer) {
  const entries = [...(dataTransfer.items || [])].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return [...dataTransfer.files].map((file) => wrap(file, file.name));
  const out = [];
  async function walk(entry, prefix) {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push(wrap(file, prefix + file.name));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  }
  for (const entry of entries) await walk(entry, "");
  return out;
}

function wrap(file, path) {
  return { file, name: file.name, path: path || file.webkitRelativePath || file.name, size: file.size, type: file.type };
}

/**
 * @param {{projectId: number, empty: boolean, onStored: () => void}} options
 * @returns {{section: HTMLElement, setEmpty: (empty: boolean) => void}}
 */
export function uploadPanel({ projectId, empty, onStored }) {
  const pick = h("input", { type: "file", multiple: true, accept: "image/*,.zip,.json", hidden: true, "data-testid": "upload-files" });
  const pickFolder = h("input", { type: "file", multiple: true, webkitdirectory: true, hidden: true, "data-testid": "upload-folder" });
  const overall = bar("upload-overall");
  const overallText = h("p", { class: "muted", "data-testid": "upload-summary", "aria-live": "polite" });
  const cancel = h("button", { type: "button", class: "btn", hidden: true, "data-testid": "upload-cancel", onclick: () => controller?.abort() }, "Cancel upload");
  const list = h("ul", { class: "plain-list upload-list", "data-testid": "upload-list" });
  const ignoredList = h("ul", { class: "plain-list upload-ignored", "data-testid": "upload-ignored" });
  const zone = h(
    "div",
    { class: "drop-zone", tabindex: 0, role: "button", "data-testid": "drop-zone", "aria-label": "Drop images, a zip or a folder here, or press Enter to choose files" },
    h("strong", {}, "Drop images, a zip or a folder here"),
    h("span", { class: "muted" }, "JPEG, PNG, GIF, WebP, BMP, TIFF, a zip of them, plus a COCO .json for their boxes · frames are ordered by file name (frame2 before frame10)"),
    h(
      "span",
      { class: "form-row" },
      h("button", { type: "button", class: "btn btn-primary", onclick: () => pick.click() }, "Choose files"),
      h("button", { type: "button", class: "btn", onclick: () => pickFolder.click() }, "Choose a folder"),
    ),
  );
  const progressBox = h("div", { class: "upload-progress", hidden: true }, overall.node, overallText, cancel);
  const section = h(
    "section",
    { class: "card upload-panel", "data-testid": "upload-panel", "aria-label": "Add frames" },
    h("h2", {}, "Add frames"),
    zone,
    pick,
    pickFolder,
    progressBox,
    list,
    ignoredList,
  );

  let controller = null;
  let items = [];
  const totals = { stored: 0, duplicates: 0, skipped: 0, failed: 0 };

  function renderOverall() {
    const bytes = items.reduce((sum, item) => sum + item.size, 0);
    const sent = items.reduce((sum, item) => sum + item.sent, 0);
    overall.set(bytes ? sent / bytes : 0);
    totals.failed = items.filter((i) => i.status === "failed").length;
    overallText.textContent = `${megabytes(sent)} of ${megabytes(bytes)} sent · ${summary(totals)}`;
    section.dataset.state = controller ? "sending" : "idle";
  }

  function setStatus(item, status, message = "") {
    item.status = status;
    item.li.dataset.status = status;
    item.statusNode.textContent = message || STATUS_TEXT[status];
    item.retry.hidden = status !== "failed";
  }

  function setSent(item, sent) {
    item.sent = sent;
    item.bar.set(item.size ? sent / item.size : 1);
  }

  function addItem(entry) {
    const item = { ...entry, status: "queued", sent: 0, bar: bar("upload-file-bar") };
    item.statusNode = h("span", { class: "muted upload-status" });
    item.details = h("ul", { class: "upload-skipped" });
    item.retry = h("button", { type: "button", class: "btn btn-quiet", hidden: true, onclick: () => retry(item) }, "Retry");
    item.li = h(
      "li",
      { dataset: { name: item.path }, "data-testid": "upload-item" },
      h("div", { class: "upload-item" }, h("span", { class: "upload-name", title: item.path }, item.path), item.statusNode, item.retry),
      item.bar.node,
      item.details,
    );
    setStatus(item, "queued");
    list.append(item.li);
    return item;
  }

  function applyResult(chunk, body) {
    const storedNames = new Set((body.images || []).map((image) => image.original_name));
    const duplicates = new Set(body.duplicates || []);
    totals.stored += (body.images || []).length;
    totals.duplicates += duplicates.size;
    totals.skipped += (body.skipped || []).length;
    for (const item of chunk) {
      setSent(item, item.size);
      if (chunk.length === 1 && /\.zip$/i.test(item.name)) {
        const parts = [`${plural((body.images || []).length, "frame")} stored`];
        if (duplicates.size) parts.push(`${plural(duplicates.size, "duplicate")} not added again`);
        if ((body.skipped || []).length) parts.push(`${body.skipped.length} skipped`);
        setStatus(item, "stored", parts.join(", "));
        clear(item.details).append(...(body.skipped || []).map((s) => h("li", { "data-testid": "skipped-entry" }, `${s.name}: ${s.reason}`)));
      } else if (duplicates.has(item.name) && !storedNames.has(item.name)) {
        setStatus(item, "duplicate");
      } else {
        setStatus(item, "stored");
      }
    }
  }

  /** A large file alone goes in chunks; `data-chunk-over` / `data-chunk-bytes` on the panel override the sizes. */
  function inChunks(chunk) {
    return chunk.length === 1 && chunk[0].size > (Number(section.dataset.chunkOver) || CHUNK_OVER);
  }

  async function send(chunk, signal, { split }) {
    chunk.forEach((item) => setStatus(item, "sending"));
    const form = new FormData();
    for (const item of chunk) form.append("file", item.file, item.name);
    const progress = (loaded) => {
      shareProgress(chunk, loaded).forEach((sent, i) => setSent(chunk[i], sent));
      renderOverall();
    };
    const result = inChunks(chunk)
      ? await sendInChunks({
          http: pageHttp,
          projectId,
          file: chunk[0].file,
          name: chunk[0].name,
          chunkBytes: Number(section.dataset.chunkBytes) || CHUNK_BYTES,
          signal,
          onProgress: progress,
        })
      : await pageHttp.upload(`/api/projects/${projectId}/images/`, form, { signal, onProgress: progress });
    if (result.aborted) {
      chunk.forEach((item) => {
        setSent(item, 0);
        setStatus(item, "cancelled");
      });
    } else if (result.ok) {
      applyResult(chunk, result.body || {});
    } else if (split && chunk.length > 1 && (result.status === 400 || result.status === 413)) {
      // One bad file refuses its request: send each alone so only that one fails.
      for (const item of chunk) if (!signal.aborted) await send([item], signal, { split: false });
    } else {
      chunk.forEach((item) => {
        setSent(item, 0);
        setStatus(item, "failed", (result.body && result.body.detail) || `failed (${result.status})`);
      });
    }
    renderOverall();
  }

  /** A COCO file: its labels and boxes onto the frames just uploaded (POST …/coco/). */
  async function sendCoco(item) {
    setStatus(item, "sending");
    let data;
    try {
      data = JSON.parse(await item.file.text());
    } catch {
      return setStatus(item, "failed", "not a JSON file");
    }
    const r = await pageHttp.request("POST", `/api/projects/${projectId}/coco/`, { body: data });
    setSent(item, r.ok ? item.size : 0);
    if (!r.ok) return setStatus(item, "failed", (r.body && r.body.detail) || `failed (${r.status})`);
    const { boxes, labels, boxes_already_there: there } = r.body;
    setStatus(item, "stored", `COCO: ${plural(boxes, "box")} added${there ? `, ${there} already there` : ""}, ${plural(labels, "label")}`);
  }

  async function run(work) {
    controller = new AbortController();
    const { signal } = controller;
    cancel.hidden = false;
    progressBox.hidden = false;
    renderOverall();
    for (const chunk of planChunks(work)) {
      if (signal.aborted) break;
      await send(chunk.files, signal, { split: true });
    }
    for (const item of work.filter((i) => kindOf(i).kind === "coco")) {
      if (signal.aborted) break;
      await sendCoco(item);
    }
    for (const item of work) if (item.status === "queued") setStatus(item, "cancelled");
    controller = null;
    cancel.hidden = true;
    renderOverall();
    onStored();
  }

  async function retry(item) {
    if (controller) return;
    await run([item]);
  }

  async function start(files) {
    if (controller) return;
    const { send: chosen, ignored } = selectFiles(files);
    clear(ignoredList).append(...ignored.map((i) => h("li", { class: "muted", "data-testid": "ignored-file" }, `Left out ${i.name}: ${i.reason}`)));
    if (!chosen.length) return;
    clear(list);
    Object.assign(totals, { stored: 0, duplicates: 0, skipped: 0, failed: 0 });
    items = chosen.map(addItem);
    await run(items);
  }

  pick.addEventListener("change", () => {
    start([...pick.files].map((file) => wrap(file, file.name)));
    pick.value = "";
  });
  pickFolder.addEventListener("change", () => {
    start([...pickFolder.files].map((file) => wrap(file, file.webkitRelativePath)));
    pickFolder.value = "";
  });
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      pick.click();
    }
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", async (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    start(await droppedFiles(event.dataTransfer));
  });

  function setEmpty(isEmpty) {
    section.classList.toggle("upload-empty", isEmpty);
  }
  setEmpty(empty);
  return { section, setEmpty };
}

// The annotate page's contract between its modules: the `app` every installer receives,
// and every event they exchange through it, with its payload. A module reads the app's
// parts and talks through events; it never adds properties to `app` for another module
// to find. The bus (lib/events.js) refuses an event that is not listed in EVENTS, and a
// Node test checks that every on()/emit() in the page's modules names one of them.
//
// Who emits what:
//   canvas/tools.js  box.drawn, box.changed, box.dragging, notice
//   saves.js         saves, saved, conflict, auth, feedback, notice
//   history.js       history, notice, auth
//   annotate.js      ready, select, render, navigate (nav.js)
//   live.js          live:* (one per websocket message kind it relays), live:drags
//   ai/panel.js      ai.selected, labels
//   review.js        review.status
//   tracks/panel.js  track.selected

/**
 * @typedef {{scale: number, tx: number, ty: number}} View  canvas CSS px = image px * scale + t
 * @typedef {{id: number, name: string, color: string, prompt: string}} Label
 * @typedef {object} Box  store.js's box: {cid, id, label, x_min, y_min, x_max, y_max, source, version, save, …}
 * @typedef {{id: number, job: number, prompt: string, label: number|null, x_min: number, y_min: number,
 *            x_max: number, y_max: number, score: number|null, status: "pending"|"accepted"|"corrected"|"rejected"|"superseded"}} Prediction
 * @typedef {{box: number|null, label: number|null, x_min: number, y_min: number, x_max: number, y_max: number}} Drag
 * @typedef {{boxes: number, labels: number, predictions: number, unsaved: number, ms: number, background: number}} RenderStats
 * @typedef {{type: string, image?: number, user?: {id: number, username: string}} & Record<string, any>} LiveMessage
 */

/**
 * Event name -> payload.
 * @typedef {object} AnnotateEvents
 * @property {AnnotateApp} ready                         the page is wired; extensions are installed
 * @property {{box: Box|null}} select                    the selected box changed
 * @property {RenderStats} render                        a frame was drawn (what it drew)
 * @property {{to: number}} navigate                     leaving for another frame
 * @property {{cid: number}} box.drawn                   a box was drawn here (saved through the queue)
 * @property {{cid: number, mode: "move"|"resize"}} box.changed   a drag of a box ended
 * @property {Drag} box.dragging                         a saved box is being moved or resized right now
 * @property {{unsaved: number}} saves                   the save queue's size changed
 * @property {{cid: number, action: string, box: object|null}} saved   the server has a change
 * @property {{cid: number, action: string, current: object|null, detail: string}} conflict   409 on a change
 * @property {{detail: string}} auth                     the session is gone: log in again
 * @property {{rating: number|null, summary: object|null}} feedback   the frame's rating as saved
 * @property {{text: string, level: "info"|"warn"|"error"}} notice   a toast
 * @property {{action: "undo"|"redo", box: object|null, can_undo: boolean|null, can_redo: boolean|null}} history
 * @property {{prediction: number|null}} ai.selected     the AI box (prediction id) picked for Enter / Del
 * @property {{labels: Label[]}} labels                  the project's labels changed here (a label made from an AI prompt)
 * @property {{status: string, comment: string}} review.status   the frame's review status as shown
 * @property {"connecting"|"online"|"offline"|"forbidden"|"closed"} live:status   the websocket's state
 * @property {Array<{id: number, username: string}>} live:presence   who else is on the frame
 * @property {LiveMessage} live:box                      someone else's box change was applied to the store
 * @property {LiveMessage} live:image.status             the frame's review status (also from `state`)
 * @property {LiveMessage} live:feedback                 a rating was saved (anyone's)
 * @property {{type: "access", role: string|null}} live:access   this user's role in the project now (after a change)
 * @property {Array<Drag & {key: string}>} live:drags    boxes others are dragging right now (for the renderer)
 * @property {LiveMessage} live:detection.started
 * @property {LiveMessage} live:detection.result         one prompt's predictions
 * @property {LiveMessage} live:detection.done
 * @property {LiveMessage} live:detection.failed
 * @property {LiveMessage} live:detection.decided        predictions accepted or rejected by someone, or (`action: "supersede"`)
 *                                                      replaced by a new run on the frame: their status is then "superseded"
 * @property {{track: number|null}} track.selected      the track the timeline follows (the selected box's, kept across frames)
 * @property {LiveMessage} live:track.created            a track was made (project socket, or relayed by the frame's)
 * @property {LiveMessage} live:track.updated            a track's label, frames or box count changed
 * @property {LiveMessage} live:track.deleted
 * @property {LiveMessage} live:track.result             one propagated box `{job, track, image, frame_index, box}`
 * @property {LiveMessage} live:track.done               a propagation ended `{job, track, frames, stopped}` (failed: with `reason`)
 */

/** Every event of the annotate page (the keys of AnnotateEvents). */
export const EVENTS = Object.freeze([
  "ready", "select", "render", "navigate",
  "box.drawn", "box.changed", "box.dragging",
  "saves", "saved", "conflict", "auth", "feedback", "notice", "history",
  "ai.selected", "labels", "review.status",
  "live:status", "live:presence", "live:box", "live:image.status", "live:feedback", "live:access", "live:drags",
  "live:detection.started", "live:detection.result", "live:detection.done", "live:detection.failed", "live:detection.decided",
  "track.selected", "live:track.created", "live:track.updated", "live:track.deleted", "live:track.result", "live:track.done",
]);

/**
 * What every installer (ai/panel.js, live.js, review.js, queue.js, nav.js) receives.
 * For tests and the console the app is also `window.hitlAnnotate`.
 * @typedef {object} AnnotateApp
 * @property {number} imageId
 * @property {number} projectId
 * @property {{id: number|null, username: string}} user
 * @property {object} image          GET /api/images/{id}/ (with previous / next)
 * @property {string|null} role      the user's role in the project
 * @property {ReturnType<import("./api.js").createApi>} api
 * @property {ReturnType<import("./store.js").createStore>} store
 * @property {ReturnType<import("./saves.js").createSaves>} saves
 * @property {ReturnType<import("./history.js").createHistory>} history
 * @property {ReturnType<import("./layers.js").createLayers>} layers
 * @property {ReturnType<import("./canvas/render.js").createRenderer>} renderer
 * @property {HTMLCanvasElement} canvas   the boxes' canvas (the picture is on another one underneath)
 * @property {<K extends keyof AnnotateEvents>(event: K, fn: (payload: AnnotateEvents[K]) => void) => () => void} on
 * @property {<K extends keyof AnnotateEvents>(event: K, payload?: AnnotateEvents[K]) => void} emit
 * @property {() => void} render     schedule a redraw
 * @property {() => Box|null} selected
 * @property {(cid: number|null) => void} select
 * @property {() => View} view
 * @property {(entry: {action: string, keys: string[], help: string, group: string, run?: Function}) => void} addShortcut
 * @property {(id: string, title: string) => HTMLElement} panel   a sidebar section for an extension's controls
 * @property {(text: string, level?: string) => void} notify
 */

// Frame navigation: previous/next (from the image's `previous`/`next` ids), jump to
// a frame number, and play/pause through the frames at a chosen speed. Leaving a
// frame waits for its saves first; playback survives the page change through
// sessionStorage, and the next frame's bytes are prefetched while playing.

const PLAY_KEY = "hitl.play";

export function installNav(app, { image, ui }) {
  const $ = (id) => document.getElementById(id);
  const speed = $("play-speed");
  const playButton = $("play");
  let timer = null;

  function frameUrl(id) {
    return `/images/${id}/`;
  }

  let leaving = false; // one navigation at a time (Enter also fires "change" on the frame box)

  async function go(id) {
    if (id === null || id === undefined || leaving) return false;
    leaving = true;
    try {
      return await leave(id);
    } finally {
      leaving = false;
    }
  }

  async function leave(id) {
    if (app.saves.unsaved()) {
      ui.toast("Saving before leaving this frame…");
      await Promise.race([app.saves.idle(), new Promise((r) => setTimeout(r, 5000))]);
      if (app.saves.unsaved() && !confirm("Some changes are not saved yet. Leave this frame anyway?")) return false;
    }
    app.emit("navigate", { to: id });
    location.assign(frameUrl(id));
    await new Promise((r) => setTimeout(r, 3000)); // stay "leaving" while the next page loads
    return true;
  }

  function previous() {
    if (image.previous === null) ui.toast("This is the first frame.");
    else go(image.previous);
  }

  function next() {
    if (image.next === null) ui.toast("This is the last frame.");
    else go(image.next);
  }

  let answered = null; // the number last looked up: Enter then leaving the field ask once, not twice
  async function jump(value) {
    const n = Number.parseInt(value, 10);
    if (!Number.isFinite(n) || n < 0) return ui.toast("Type a frame number (0 or more).", "warn");
    if (n === image.frame_index || n === answered) return;
    answered = n;
    const r = await app.api.findFrame(app.projectId, n);
    const hit = r.ok ? (r.body.results || r.body).find((f) => f.frame_index === n) : null;
    if (hit) go(hit.id);
    else {
      if (!r.ok) answered = null;
      ui.toast(r.ok ? `There is no frame ${n} in this project.` : "Could not look the frame up.", "warn");
    }
  }

  function playing() {
    return sessionStorage.getItem(PLAY_KEY) !== null;
  }

  function showPlaying() {
    const on = playing();
    playButton.setAttribute("aria-pressed", String(on));
    playButton.textContent = on ? "❚❚ Pause" : "▶ Play";
  }

  function schedule() {
    clearTimeout(timer);
    if (!playing()) return;
    if (image.next === null) {
      sessionStorage.removeItem(PLAY_KEY);
      showPlaying();
      return ui.toast("Reached the last frame.");
    }
    const fps = Number(sessionStorage.getItem(PLAY_KEY)) || 2;
    new Image().src = app.api.imageFileUrl(image.next); // warm the cache for the next page
    timer = setTimeout(() => go(image.next), 1000 / fps);
  }

  function togglePlay() {
    if (playing()) sessionStorage.removeItem(PLAY_KEY);
    else sessionStorage.setItem(PLAY_KEY, speed.value);
    showPlaying();
    schedule();
  }

  $("prev-frame").onclick = previous;
  $("next-frame").onclick = next;
  $("prev-frame").disabled = image.previous === null;
  $("next-frame").disabled = image.next === null;
  playButton.onclick = togglePlay;
  const saved = sessionStorage.getItem(PLAY_KEY);
  if (saved) speed.value = saved;
  speed.onchange = () => {
    if (playing()) sessionStorage.setItem(PLAY_KEY, speed.value);
    schedule();
  };
  const frameBox = $("frame-number");
  frameBox.value = image.frame_index;
  frameBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter") jump(frameBox.value);
    if (e.key === "Escape") {
      frameBox.value = image.frame_index;
      frameBox.blur();
    }
  });
  frameBox.addEventListener("input", () => (answered = null));
  frameBox.addEventListener("change", () => frameBox.value !== String(image.frame_index) && jump(frameBox.value));
  showPlaying();
  schedule();

  return {
    go,
    previous,
    next,
    jump,
    togglePlay,
    focusJump() {
      frameBox.focus();
      frameBox.select();
    },
    /** Stop playback (e.g. when the user starts editing). */
    stop() {
      if (!playing()) return;
      sessionStorage.removeItem(PLAY_KEY);
      clearTimeout(timer);
      showPlaying();
    },
  };
}

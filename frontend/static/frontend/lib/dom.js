// The one DOM builder of every page. Every user-supplied string goes in through a text
// node, never innerHTML.

/**
 * h("a", {href: "/x", class: "y"}, "text", child) -> element.
 * Attributes: `on<event>` functions become listeners, `dataset` an object of data-*,
 * `style` a CSS string or an object of properties; null, undefined and false are left
 * out, true is an empty attribute. Children nest in arrays; null, undefined and false
 * are skipped, anything else that is not a Node becomes text.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") {
      if (typeof value === "object") Object.assign(node.style, value);
      else node.style.cssText = value;
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Remove every child of `node`; returns it for chaining. */
export function clear(node) {
  node.replaceChildren();
  return node;
}

const BUSY_AFTER_MS = 300;

/**
 * Run `fn` (a promise-returning action) with `control` disabled; if it takes longer than
 * ~300 ms, the control shows that it is working (aria-busy, the `busy` class's spinner).
 * Resolves what `fn` resolves.
 */
export async function withBusy(control, fn) {
  if (!control) return fn();
  control.disabled = true;
  const timer = setTimeout(() => {
    control.setAttribute("aria-busy", "true");
    control.classList.add("busy");
  }, BUSY_AFTER_MS);
  try {
    return await fn();
  } finally {
    clearTimeout(timer);
    control.disabled = false;
    control.removeAttribute("aria-busy");
    control.classList.remove("busy");
  }
}

// Placeholder: AI pre-annotation (issue #4) replaces this with the Detect panel,
// streamed predictions and accept/reject. See the extension point in annotate.js.

export function installAi(app) {} // eslint-disable-line no-unused-vars

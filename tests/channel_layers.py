"""A channel layer for tests that read what was broadcast: the in-memory layer, recording every
group message as it is sent (so the tests read the layer, not a patched project function)."""

from channels.layers import InMemoryChannelLayer


class RecordingChannelLayer(InMemoryChannelLayer):
    """`log` (set by the `sent` fixture) receives `(group, type, payload)` for every group_send."""

    log: list | None = None

    async def group_send(self, group, message):
        if self.log is not None:
            self.log.append((group, message["type"], {k: v for k, v in message.items() if k != "type"}))
        await super().group_send(group, message)

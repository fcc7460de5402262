"""Who is viewing which frame, shared by every web process.

Each open websocket on a frame is one *entry*, keyed by its channel name: two tabs of one
user are two entries, and closing one keeps the user present. An entry expires
`PRESENCE_TTL_SECONDS` (45) after its last refresh; the image consumer refreshes it every
`PRESENCE_HEARTBEAT_SECONDS` (15) and on each client `presence.ping`, so a viewer whose
connection vanished without a goodbye (process killed, network gone) drops out within a
minute. Expired entries are pruned on every read, and a refresh that prunes someone
broadcasts the new list.

Storage: with `REDIS_URL` set, one Redis hash per project (`hitl:presence:<project>`,
field `<image>|<channel>` → JSON entry), so every Daphne process sees the same viewers;
otherwise a process-local dict, which is all the embedded single-process set-up needs.

Join, leave and pruning broadcast `presence` `{image, viewers: [{id, username}]}` to the
frame's group and to the project's group.

For other features — `viewers_for_project(project_id)` → `{image_id: [{id, username}]}`.
`/api/projects/{id}/next/` can skip frames someone else is viewing::

    busy = {image_id for image_id, users in viewers_for_project(project.pk).items()
            if any(u["id"] != user.pk for u in users)}

It is one Redis round trip and no database query.
"""

import functools
import json
import threading
import time

import redis
from django.conf import settings

from annotations.broadcast import broadcast, image_group, project_group
from annotations.selectors.boxes import user_brief

KEY_PREFIX = "hitl:presence:"
ENTRY_KEYS = frozenset(("image", "channel", "user", "expires"))


def presence_ttl() -> float:
    return float(settings.PRESENCE_TTL_SECONDS)


def presence_heartbeat() -> float:
    return float(settings.PRESENCE_HEARTBEAT_SECONDS)


class _RedisStore:
    """One hash per project; the key itself expires when nobody refreshes anything in it."""

    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url)

    def put(self, key: str, field: str, value: str, ttl: float) -> None:
        pipe = self.client.pipeline()
        pipe.hset(key, field, value)
        pipe.expire(key, int(ttl * 2) + 1)
        pipe.execute()

    def remove(self, key: str, *fields: str) -> None:
        if fields:
            self.client.hdel(key, *fields)

    def items(self, key: str) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.client.hgetall(key).items()}

    def clear(self) -> None:
        for key in self.client.scan_iter(match=f"{KEY_PREFIX}*", count=500):
            self.client.delete(key)


class _LocalStore:
    """Process-local: correct for one process (the embedded default), where nobody else could see it anyway."""

    def __init__(self):
        self.lock = threading.Lock()
        self.data: dict[str, dict[str, str]] = {}

    def put(self, key: str, field: str, value: str, ttl: float) -> None:
        with self.lock:
            self.data.setdefault(key, {})[field] = value

    def remove(self, key: str, *fields: str) -> None:
        with self.lock:
            bucket = self.data.get(key, {})
            for field in fields:
                bucket.pop(field, None)
            if not bucket:
                self.data.pop(key, None)

    def items(self, key: str) -> dict[str, str]:
        with self.lock:
            return dict(self.data.get(key, {}))

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


@functools.cache
def _store_for(url: str):
    return _RedisStore(url) if url else _LocalStore()


def _store():
    return _store_for(settings.REDIS_URL)


def presence_clear() -> None:
    """Forget every viewer (tests, and a deployment that restarts all processes at once)."""
    _store().clear()


def _key(project_id: int) -> str:
    return f"{KEY_PREFIX}{int(project_id)}"


def _field(image_id: int, channel_name: str) -> str:
    return f"{int(image_id)}|{channel_name}"


def _entries(project_id: int) -> dict[str, dict]:
    """Every stored entry of the project by field, expired or not; unreadable ones are dropped."""
    store, key = _store(), _key(project_id)
    entries, broken = {}, []
    for field, raw in store.items(key).items():
        try:
            entry = json.loads(raw)
        except ValueError:
            entry = None
        if isinstance(entry, dict) and ENTRY_KEYS <= entry.keys():
            entries[field] = entry
        else:
            broken.append(field)
    store.remove(key, *broken)
    return entries


def _live_entries(project_id: int, now: float) -> list[dict]:
    """The project's unexpired entries; expired ones are deleted on the way."""
    entries = _entries(project_id)
    expired = [field for field, entry in entries.items() if entry["expires"] <= now]
    _store().remove(_key(project_id), *expired)
    return [entry for entry in entries.values() if entry["expires"] > now]


def _users(entries: list[dict]) -> list[dict]:
    by_id = {entry["user"]["id"]: entry["user"] for entry in entries}
    return sorted(by_id.values(), key=lambda u: (u["username"].lower(), u["id"]))


def viewers_for_project(project_id: int, *, now: float | None = None) -> dict[int, list[dict]]:
    """`{image_id: [{id, username}, ...]}` for every frame of the project someone is viewing."""
    grouped: dict[int, list[dict]] = {}
    for entry in _live_entries(project_id, time.time() if now is None else now):
        grouped.setdefault(entry["image"], []).append(entry)
    return {image_id: _users(entries) for image_id, entries in grouped.items()}


def viewers_for_image(*, project_id: int, image_id: int, now: float | None = None) -> list[dict]:
    """The users viewing one frame, each once, sorted by username."""
    return viewers_for_project(project_id, now=now).get(int(image_id), [])


def _announce(*, project_id: int, image_ids, now: float) -> None:
    viewers = viewers_for_project(project_id, now=now)
    for image_id in sorted(set(image_ids)):
        payload = {"image": image_id, "viewers": viewers.get(image_id, [])}
        broadcast(image_group(image_id), "presence", payload)
        broadcast(project_group(project_id), "presence", payload)


def _put(*, project_id: int, image_id: int, user, channel_name: str, now: float) -> None:
    entry = {
        "image": int(image_id),
        "channel": channel_name,
        "user": user_brief(user),
        "expires": now + presence_ttl(),
    }
    _store().put(_key(project_id), _field(image_id, channel_name), json.dumps(entry), presence_ttl())


def presence_join(*, project_id: int, image_id: int, user, channel_name: str, now: float | None = None) -> list[dict]:
    """Record that this connection views the frame; broadcast `presence`; return the frame's viewers."""
    now = time.time() if now is None else now
    _put(project_id=project_id, image_id=image_id, user=user, channel_name=channel_name, now=now)
    _announce(project_id=project_id, image_ids=[image_id], now=now)
    return viewers_for_image(project_id=project_id, image_id=image_id, now=now)


def presence_touch(*, project_id: int, image_id: int, user, channel_name: str, now: float | None = None) -> list[dict]:
    """Heartbeat: keep this connection's entry alive and prune the expired ones.

    Broadcasts `presence` for the frames whose viewers may have changed (someone expired, or
    this entry had itself expired and comes back); returns this frame's viewers.
    """
    now = time.time() if now is None else now
    image_id = int(image_id)
    entries = _entries(project_id)
    expired_images = {entry["image"] for entry in entries.values() if entry["expires"] <= now}
    mine = entries.get(_field(image_id, channel_name))
    _put(project_id=project_id, image_id=image_id, user=user, channel_name=channel_name, now=now)
    changed = expired_images | ({image_id} if mine is None or mine["expires"] <= now else set())
    if changed:
        _announce(project_id=project_id, image_ids=changed, now=now)
    return viewers_for_image(project_id=project_id, image_id=image_id, now=now)


def presence_leave(*, project_id: int, image_id: int, channel_name: str, now: float | None = None) -> list[dict]:
    """Forget this connection (a goodbye); broadcast `presence`; return the frame's remaining viewers."""
    now = time.time() if now is None else now
    _store().remove(_key(project_id), _field(image_id, channel_name))
    _announce(project_id=project_id, image_ids=[image_id], now=now)
    return viewers_for_image(project_id=project_id, image_id=image_id, now=now)

"""The Redis channel layer as configured in settings, against the real Redis."""

import asyncio

import pytest
from channels.layers import channel_layers
from django.conf import settings

pytestmark = pytest.mark.redis

# channels_redis blocks in BZPOPMIN for 5 s per receive; redis-py 8 also aborts a socket read after
# 5 s unless told otherwise. An idle receiver must outlive both.
IDLE_SECONDS = 7


@pytest.fixture
def redis_layer():
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    layer = channel_layers.make_backend("default")
    yield layer
    asyncio.run(layer.flush())


def test_an_idle_receiver_keeps_waiting_and_gets_the_message_sent_later(redis_layer):
    async def scenario():
        channel = await redis_layer.new_channel()
        waiting = asyncio.ensure_future(redis_layer.receive(channel))
        await asyncio.sleep(IDLE_SECONDS)
        assert not waiting.done(), waiting.exception() if waiting.done() else None
        await redis_layer.send(channel, {"type": "box.created", "id": 1})
        return await asyncio.wait_for(waiting, timeout=10)

    message = asyncio.run(scenario())
    assert message == {"type": "box.created", "id": 1}

"""Settings for `bench/fanout.py --layer pubsub`: the app's settings with the Redis *pub/sub* channel layer.

Only for comparing fan-out costs; the app's own layer is set in hitl_project/settings.py.
"""

from hitl_project.settings import *  # noqa: F403
from hitl_project.settings import REDIS_URL

CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
}

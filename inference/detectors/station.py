"""Moondream Station or Moondream Cloud through the official `moondream` client.

`MOONDREAM_ENDPOINT` (e.g. `http://localhost:2020/v1` for Station) and, for the cloud,
`MOONDREAM_API_KEY` come from the environment only. The image is encoded once per job
(the client's JPEG/base64 encoding) and the encoding is sent with every prompt.
"""

import time

from django.conf import settings

from inference.detectors.base import DetectorUnavailable, pixel_box


class StationDetector:
    name = "station"
    supported_prompts = None

    def __init__(self, *, endpoint: str | None = None, api_key: str | None = None):
        self.endpoint = (endpoint or settings.MOONDREAM_ENDPOINT).rstrip("/")
        self.api_key = api_key if api_key is not None else settings.MOONDREAM_API_KEY
        self.reason = "INFERENCE_BACKEND=station"
        self._client = None

    def client(self):
        if not self.endpoint:
            raise DetectorUnavailable("INFERENCE_BACKEND=station needs MOONDREAM_ENDPOINT (e.g. http://localhost:2020/v1).")
        if self._client is None:
            import moondream

            self._client = moondream.vl(endpoint=self.endpoint, api_key=self.api_key or None)
        return self._client

    def detect(self, image, prompts, *, stats=None):
        client = self.client()
        width, height = image.size
        started = time.perf_counter()
        encoded = client.encode_image(image)
        if stats is not None:
            stats.update(encode_calls=1, encode_seconds=time.perf_counter() - started)
        for prompt in prompts:
            try:
                objects = client.detect(encoded, prompt)["objects"]
            except OSError as error:  # urllib's URLError/HTTPError: say where it went wrong, not the key
                raise DetectorUnavailable(f"The moondream endpoint {self.endpoint} failed on {prompt!r}: {error}") from error
            boxes = [
                pixel_box(o["x_min"], o["y_min"], o["x_max"], o["y_max"], width=width, height=height, score=o.get("score"))
                for o in objects
            ]
            yield prompt, [box for box in boxes if box is not None]

    def status(self) -> dict:
        return {
            "backend": self.name,
            "model": "moondream (remote)",
            "revision": "",
            "device": "remote",
            "endpoint": self.endpoint,
            "api_key_set": bool(self.api_key),
            "supported_prompts": None,
            "reason": self.reason,
        }

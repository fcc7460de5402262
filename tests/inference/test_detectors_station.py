"""The station backend with the official `moondream` client against a local imitation of the endpoint.

Only the internet is mocked: a real HTTP server on 127.0.0.1 answers `POST /v1/detect`.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image as PILImage

from inference.detectors import get_detector
from inference.detectors.base import Detection, DetectorUnavailable
from inference.detectors.station import StationDetector

ANSWERS = {"person": [{"x_min": 0.1, "y_min": 0.2, "x_max": 0.6, "y_max": 1.3}], "car": []}


@pytest.fixture
def station():
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append({"path": self.path, "auth": self.headers.get("X-Moondream-Auth"), **body})
            if self.path != "/v1/detect" or body.get("object") not in ANSWERS:
                self.send_response(404)
                self.end_headers()
                return
            payload = json.dumps({"request_id": "x", "objects": ANSWERS[body["object"]]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1", requests
    server.shutdown()
    server.server_close()


def test_the_station_backend_sends_each_prompt_with_one_encoding_and_the_key_from_settings(station, settings):
    endpoint, requests = station
    settings.INFERENCE_BACKEND = "station"
    settings.MOONDREAM_ENDPOINT, settings.MOONDREAM_API_KEY = endpoint, "key-from-env"
    detector = get_detector()
    assert isinstance(detector, StationDetector)
    results = list(detector.detect(PILImage.new("RGB", (100, 50), (200, 10, 10)), ["person", "car"]))

    assert results == [("person", [Detection(10.0, 10.0, 60.0, 50.0)]), ("car", [])]
    assert [r["object"] for r in requests] == ["person", "car"]
    assert {r["auth"] for r in requests} == {"key-from-env"}
    assert requests[0]["image_url"].startswith("data:image/jpeg;base64,")
    assert requests[0]["image_url"] == requests[1]["image_url"]  # encoded once, reused
    status = detector.status()
    assert status["endpoint"] == endpoint and status["api_key_set"] is True
    assert "key-from-env" not in json.dumps(status)


def test_an_endpoint_error_names_the_endpoint_and_prompt(station):
    endpoint, _ = station
    detector = StationDetector(endpoint=endpoint, api_key="")
    with pytest.raises(DetectorUnavailable, match="giraffe"):
        list(detector.detect(PILImage.new("RGB", (10, 10)), ["giraffe"]))


def test_without_an_endpoint_the_station_backend_says_which_setting_is_missing(settings):
    settings.MOONDREAM_ENDPOINT = ""
    with pytest.raises(DetectorUnavailable, match="MOONDREAM_ENDPOINT"):
        list(StationDetector().detect(PILImage.new("RGB", (10, 10)), ["person"]))

"""The project's nginx configuration (docker/nginx/) in front of two Daphne processes at DEBUG=0 on
PostgreSQL + Redis, in TLS mode as docker-compose.tls.yml runs it: log in, open the annotate page,
static files from nginx, load spread over both processes, and a websocket event crossing from one
process to a client on the other."""

import asyncio
import json
import os

import pytest
from django.db import connection

from tests.deploy import nginx
from tests.deploy.production import Browser, production_env, static_paths, unverified_tls, with_real_password
from tests.live.daphne import daphne_processes, free_ports
from tests.live.helpers import live_viewer, next_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis server at REDIS_URL"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the servers share the test database"),
    pytest.mark.skipif(not os.path.exists(nginx.NGINX), reason="`make test` installs Debian's nginx"),
]


def test_the_plain_http_configuration_is_valid(tmp_path, collected_static):
    """Plain-HTTP mode (no TLS folder content) is a configuration nginx accepts."""
    wrapper = nginx.configure(
        tmp_path, upstreams=[8000, 8001], http_port=8080, static_root=collected_static, https_port=None
    )
    result = nginx.check(wrapper)
    assert result.returncode == 0, result.stderr


@pytest.mark.asyncio
async def test_two_daphnes_behind_the_projects_nginx_in_tls_mode(tmp_path, collected_static, media_root, image, label,
                                                                 annotator, reviewer):
    from channels.db import database_sync_to_async

    await database_sync_to_async(with_real_password)(annotator)
    await database_sync_to_async(with_real_password)(reviewer)
    web_a, web_b, http_port, https_port = free_ports(4)
    env = production_env(tmp_path, static_root=collected_static, media_root=media_root,
                         redis_url=os.environ["REDIS_URL"], ssl_redirect=True)
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"
    env["DJANGO_CSRF_TRUSTED_ORIGINS"] = f"https://127.0.0.1:{https_port}"
    nginx.self_signed_certificate(tmp_path / "proxy" / "certs", "127.0.0.1")
    wrapper = nginx.configure(tmp_path / "proxy", upstreams=[web_a, web_b], http_port=http_port,
                              static_root=collected_static, https_port=https_port)
    assert nginx.check(wrapper).returncode == 0, nginx.check(wrapper).stderr

    with daphne_processes([web_a, web_b], env, tmp_path), nginx.running(wrapper, [http_port, https_port]):
        site = f"https://127.0.0.1:{https_port}"

        # Plain HTTP reaches Django as http (X-Forwarded-Proto), which sends it to TLS.
        status, headers, _ = Browser(f"http://127.0.0.1:{http_port}", https=False, host=f"127.0.0.1:{http_port}",
                                     forwarded_proto=False).get("/accounts/login/")
        assert status == 301 and headers["Location"].startswith("https://"), (status, dict(headers))

        anna = Browser(site, host=f"127.0.0.1:{https_port}", forwarded_proto=False)
        rita = Browser(site, host=f"127.0.0.1:{https_port}", forwarded_proto=False)
        await asyncio.to_thread(anna.log_in, annotator.username)
        await asyncio.to_thread(rita.log_in, reviewer.username)
        status, _, page = await asyncio.to_thread(anna.get, f"/images/{image.pk}/")
        assert status == 200, page[:1000]
        for path in static_paths(page):
            status, headers, body = await asyncio.to_thread(anna.get, path)
            assert status == 200 and body, path
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable"  # hashed: for good
        status, headers, _ = await asyncio.to_thread(anna.get, "/static/frontend/lib/http.js")  # imported by name
        assert status == 200 and headers["Cache-Control"] == "no-cache"
        assert nginx.upstreams_of(wrapper, "/static/") == []  # never proxied

        # Two viewers through nginx: round robin puts them on different Daphne processes.
        ws_base, origin = f"wss://127.0.0.1:{https_port}", site
        on_first = await live_viewer(ws_base, image.pk, anna.cookies["sessionid"][0], origin, ssl=unverified_tls())
        await next_of(on_first, "state")
        on_second = await live_viewer(ws_base, image.pk, rita.cookies["sessionid"][0], origin, ssl=unverified_tls())
        await next_of(on_second, "state")
        try:
            # A box saved through nginx (on either process) reaches both viewers, so it crosses processes.
            csrf = anna.cookies["csrftoken"][0]
            body = json.dumps({"label": label.pk, "x_min": 1, "y_min": 1, "x_max": 20, "y_max": 20}).encode()
            status, _, created = await asyncio.to_thread(
                anna.request, "POST", f"/api/images/{image.pk}/boxes/", body,
                {"Content-Type": "application/json", "X-CSRFToken": csrf, "Referer": f"{site}/images/{image.pk}/",
                 "Origin": site},
            )
            assert status == 201, created
            box_id = json.loads(created)["id"]
            for ws in (on_first, on_second):
                assert (await next_of(ws, "box.created"))["box"]["id"] == box_id
        finally:
            await on_first.close()
            await on_second.close()

        sockets = nginx.upstreams_of(wrapper, "/ws/")
        assert len(sockets) == 2 and len(set(sockets)) == 2, sockets  # one viewer on each process
        served = set(nginx.upstreams_of(wrapper, "/"))
        assert served == {f"127.0.0.1:{web_a}", f"127.0.0.1:{web_b}"}, served  # load spread over both

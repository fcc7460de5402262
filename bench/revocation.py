"""Time from a membership removal to the removed member's socket closing (4403), across two Daphne processes.

    python bench/revocation.py [--rounds 20] [--ports 8441 8442]
                               [--database postgres://postgres@127.0.0.1:5432/h_live_bench]
                               [--redis redis://127.0.0.1:6379/6]

Each round adds a member, opens their websocket on a frame on the first process, removes them
with `DELETE /api/projects/{id}/members/{user_id}/` on the second process, and times from the
request being sent to the socket's close, and from the DELETE's answer to the close (the part
the revocation itself adds). Target: within 1 s.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fanout import percentile, prepare_database  # noqa: E402

TARGET_SECONDS = 1.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--ports", type=int, nargs=2, default=[8441, 8442])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h_live_bench")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/6")
    return parser.parse_args()


def seed(rounds: int):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from annotations.models import Role
    from tests.factories import ImageFactory, MembershipFactory, ProjectFactory, UserFactory

    project = ProjectFactory(name=f"revocation-{int(time.time())}")
    image = ImageFactory(project=project)
    manager = UserFactory(username=f"manager-{project.pk}")
    MembershipFactory(project=project, user=manager, role=Role.MANAGER)
    members = []
    for i in range(rounds):
        user = UserFactory(username=f"member-{project.pk}-{i}")
        MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
        client = Client()
        client.force_login(user)
        members.append((user.pk, client.cookies["sessionid"].value))
    return project, image, Token.objects.create(user=manager).key, members


async def measure(ports, project, image, token, members):
    from tests.live.revocation import open_socket, request, until_closed

    port_a, port_b = ports
    totals, after_answer = [], []
    for port in ports:  # warm both processes (first request, first connection) before timing
        await asyncio.to_thread(request, port, "GET", f"/api/projects/{project.pk}/", token=token)
    for user_id, session in members:
        ws = await open_socket(port_a, f"/ws/images/{image.pk}/", session)
        await asyncio.sleep(0.2)  # the join's presence chatter
        closing = asyncio.create_task(until_closed(ws))
        sent = time.monotonic()
        status, _, _ = await asyncio.to_thread(
            request, port_b, "DELETE", f"/api/projects/{project.pk}/members/{user_id}/", token=token
        )
        answered = time.monotonic()
        assert status == 204, status
        _, closed = await asyncio.wait_for(closing, timeout=30)
        assert ws.close_code == 4403, ws.close_code
        totals.append(closed - sent)
        after_answer.append(max(0.0, closed - answered))
    return totals, after_answer


def main():
    args = parse_args()
    media = tempfile.mkdtemp(prefix="revocation-media-")
    os.environ.update(
        DATABASE_URL=args.database,
        REDIS_URL=args.redis,
        MEDIA_ROOT=media,
        DJANGO_SETTINGS_MODULE="hitl_project.settings",
        LOG_LEVEL="WARNING",
    )
    prepare_database(args.database)
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # sessions are minted directly
    from tests.live.daphne import daphne_processes

    project, image, token, members = seed(args.rounds)
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    }
    with daphne_processes(args.ports, env, Path(media)):
        totals, after = asyncio.run(measure(args.ports, project, image, token, members))
    ms = [t * 1000 for t in totals]
    after_ms = [t * 1000 for t in after]
    # The removal is committed before the DELETE is answered, so answered -> close bounds removal -> close.
    verdict = "OK" if max(after) < TARGET_SECONDS else "MISSED"
    print(f"membership removal -> socket closed 4403 ({len(ms)} rounds, socket on :{args.ports[0]},"
          f" DELETE on :{args.ports[1]})")
    print(f"  DELETE answered (removal committed) -> close: p50 {percentile(after_ms, 50):.1f} ms,"
          f" p95 {percentile(after_ms, 95):.1f} ms, max {max(after_ms):.1f} ms,"
          f" mean {statistics.fmean(after_ms):.1f} ms"
          f"   [target < {TARGET_SECONDS * 1000:.0f} ms: {verdict}]")
    print(f"  DELETE sent -> close (adds the HTTP request): p50 {percentile(ms, 50):.1f} ms,"
          f" p95 {percentile(ms, 95):.1f} ms, max {max(ms):.1f} ms")


if __name__ == "__main__":
    main()

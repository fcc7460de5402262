"""Debian's nginx running the project's own proxy configuration (docker/nginx/), rendered as the
official image renders it: only `${HITL_*}` is substituted, nginx's own `$variables` stay."""

import contextlib
import getpass
import re
import shutil
import subprocess
import time
from pathlib import Path

from tests.deploy.production import ROOT
from tests.live.daphne import stop, wait_until_listening

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATES = ROOT / "docker" / "nginx"

# The image's nginx.conf around conf.d/, with the paths of a test folder and the upstream in the log.
WRAPPER = """\
daemon off;
user {user};
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format upstream '$request_method $uri $status upstream=$upstream_addr';
    access_log {dir}/access.log upstream;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    include {dir}/conf.d/*.conf;
}}
"""


def render(template: Path, values: dict) -> str:
    """envsubst as the nginx image runs it: the variables it is given, nothing else."""
    return re.sub(r"\$\{(HITL_\w+)\}", lambda m: values[m.group(1)], template.read_text())


def self_signed_certificate(folder: Path, host: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={host}",
         "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )


def configure(folder: Path, *, upstreams: list[int], http_port: int, static_root: Path, https_port: int | None):
    """Lay out conf.d/ (and conf.d/tls/ in TLS mode) under `folder`; return the wrapper's path."""
    conf_d, tls_dir = folder / "conf.d", folder / "conf.d" / "tls"
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    conf_d.mkdir(exist_ok=True)
    values = {
        "HITL_WEB_SERVERS": " ".join(f"server 127.0.0.1:{port};" for port in upstreams),
        "HITL_HTTP_PORT": str(http_port),
        "HITL_STATIC_ROOT": str(static_root),
        "HITL_TLS_DIR": str(tls_dir),
    }
    (conf_d / "default.conf").write_text(render(TEMPLATES / "templates" / "default.conf.template", values))
    if https_port is not None:
        values["HITL_HTTPS_PORT"] = str(https_port)
        tls_dir.mkdir()  # plain-HTTP mode: the folder does not exist, and the include matches nothing
        (tls_dir / "tls.conf").write_text(render(TEMPLATES / "tls.conf.template", values))
    wrapper = folder / "nginx.conf"
    wrapper.write_text(WRAPPER.format(dir=folder, user=getpass.getuser()))  # workers read pytest's private tmp
    return wrapper


def check(wrapper: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NGINX, "-t", "-p", str(wrapper.parent), "-c", str(wrapper)], capture_output=True, text=True)


@contextlib.contextmanager
def running(wrapper: Path, ports: list[int]):
    """nginx in the foreground on `wrapper`; stopped (and its log shown on failure) at the end."""
    log = wrapper.parent / "nginx.out"
    process = subprocess.Popen(
        [NGINX, "-p", str(wrapper.parent), "-c", str(wrapper)], stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        for port in ports:
            wait_until_listening(port, process, 20, wrapper.parent / "error.log")
        time.sleep(0.3)  # a port someone else took answers too: nginx must still be running after binding
        assert process.poll() is None, (wrapper.parent / "error.log").read_text()
        yield process
    finally:
        stop([process], timeout=5)


def upstreams_of(wrapper: Path, path_prefix: str) -> list[str]:
    """The upstream addresses that served requests under `path_prefix`, in order (nginx's access log)."""
    time.sleep(0.2)  # nginx writes a websocket's line when it closes
    lines = (wrapper.parent / "access.log").read_text().splitlines()
    return [line.rsplit("upstream=", 1)[1] for line in lines if line.split(" ")[1].startswith(path_prefix)]

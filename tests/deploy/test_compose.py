"""docker-compose.yml as a team runs it: nginx is the only way in, `web` scales, the proxy's template
gets every variable it names, and the TLS override switches Django to HTTPS-only."""

import re
import shutil
import subprocess

import pytest
import yaml

from tests.deploy.production import ROOT

BASE, TLS = ROOT / "docker-compose.yml", ROOT / "docker-compose.tls.yml"
TEMPLATE_VARIABLE = re.compile(r"\$\{(HITL_\w+)\}")


def services(path):
    return yaml.safe_load(path.read_text())["services"]


def test_only_the_proxy_publishes_a_port_so_web_scales():
    base = services(BASE)
    assert "ports" not in base["web"]
    assert base["proxy"]["image"].startswith("nginx:")
    assert [p.split(":")[-1] for p in base["proxy"]["ports"]] == ["80"]
    assert base["proxy"]["environment"]["HITL_WEB_SERVERS"] == "server web:8000;"
    assert base["proxy"]["depends_on"] == {"web": {"condition": "service_started"}}


def test_the_proxy_serves_what_collectstatic_writes_and_the_app_trusts_one_proxy():
    base = services(BASE)
    web_env, proxy_env = base["web"]["environment"], base["proxy"]["environment"]
    assert web_env["NUM_PROXIES"] == "1"
    # The app's STATIC_ROOT is <HITL_VAR_DIR>/static = /app/var/static in the image; the proxy mounts that volume.
    assert "appdata:/app/var" in base["web"]["volumes"] and "appdata:/app/var:ro" in base["proxy"]["volumes"]
    assert proxy_env["HITL_STATIC_ROOT"] == "/app/var/static"
    assert "python manage.py collectstatic --noinput" in " ".join(base["migrate"]["command"])


def test_every_template_variable_is_given_in_each_mode():
    base, tls = services(BASE), services(TLS)
    plain_env = base["proxy"]["environment"]
    tls_env = {**plain_env, **tls["proxy"]["environment"]}
    main = set(TEMPLATE_VARIABLE.findall((ROOT / "docker/nginx/templates/default.conf.template").read_text()))
    extra = set(TEMPLATE_VARIABLE.findall((ROOT / "docker/nginx/tls.conf.template").read_text()))
    assert main <= set(plain_env) and main | extra <= set(tls_env)


def test_the_modes_agree_with_djangos_https_setting():
    base, tls = services(BASE), services(TLS)
    assert base["web"]["environment"]["DJANGO_SECURE_SSL_REDIRECT"] == "0"  # plain HTTP: no redirect loop
    assert tls["web"]["environment"]["DJANGO_SECURE_SSL_REDIRECT"] == "1"
    assert [p.split(":")[-1] for p in tls["proxy"]["ports"]] == ["443"]
    # The image renders templates/tls/*.template into conf.d/tls/, the folder the main template includes.
    mounted = [v.rsplit(":", 2)[-2] for v in tls["proxy"]["volumes"]]  # source:target:ro
    assert "/etc/nginx/templates/tls/tls.conf.template" in mounted and "/etc/nginx/certs" in mounted
    assert base["proxy"]["environment"]["HITL_TLS_DIR"] == "/etc/nginx/conf.d/tls"


def _compose_available() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _compose_available(), reason="no docker compose client on this machine")
@pytest.mark.parametrize("files", [[BASE], [BASE, TLS]], ids=["plain", "tls"])
def test_docker_compose_accepts_the_files(files):
    args = ["docker", "compose"] + [arg for f in files for arg in ("-f", str(f))] + ["config", "--quiet"]
    env = {"POSTGRES_PASSWORD": "x", "DJANGO_SECRET_KEY": "y", "PATH": "/usr/local/bin:/usr/bin:/bin"}
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_template_replaces_the_images_welcome_server():
    """The nginx image ships conf.d/default.conf (a welcome page on :80); the template renders over it."""
    assert (ROOT / "docker/nginx/templates/default.conf.template").exists()
    assert "default_server" in (ROOT / "docker/nginx/templates/default.conf.template").read_text()

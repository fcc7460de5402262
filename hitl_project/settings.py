"""Settings for HITL Annotate.

Every value comes from the environment (names in DESIGN.md); the defaults are the
embedded single-machine set-up: SQLite, media and MLflow under `var/`, an in-memory
channel layer and the offline detector.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HITL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)


def _secret_key() -> str:
    """The key comes from the environment; only a debug run may mint one, kept in var/."""
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# The address Daphne listens on (`make run` passes HOST). Debug's implicit localhost names are only
# safe for a loopback bind: on a network address the names clients use must be given explicitly.
BIND_HOST = os.environ.get("HITL_BIND_HOST", "127.0.0.1")


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


LOOPBACK_HOSTS = "localhost,127.0.0.1,[::1],testserver"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", LOOPBACK_HOSTS if DEBUG and _is_loopback(BIND_HOST) else "")
if DEBUG and not ALLOWED_HOSTS:
    # Left empty, Django's debug mode would still answer localhost names: refuse instead.
    raise ImproperlyConfigured(
        f"HITL_BIND_HOST={BIND_HOST} serves other machines: set DJANGO_ALLOWED_HOSTS to the names they use."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tracking",
    "annotations",
    "inference",  # before channels: its `runworker` (which starts the inference worker) wins
    "channels",
    "feedback",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hitl_project.csp.SiteCSPMiddleware",  # CSP naming this site's websocket origin
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out login into the lockout page
]

ROOT_URLCONF = "hitl_project.urls"
ASGI_APPLICATION = "hitl_project.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
# Threads of a Daphne process that run requests' synchronous work (hitl_project/http_handler.py):
# more requests than this wait their turn; each thread holds one database connection while busy.
HTTP_THREADS = int(os.environ.get("HTTP_THREADS", "16"))
DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "0"))
if DATABASE_POOL_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Processes other than Daphne (the worker, commands) and websocket consumers also share it.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": DATABASE_POOL_SIZE, "timeout": 10}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several Daphne threads write at once; WAL and a busy timeout keep SQLite usable.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, which aborts the layer's blocking
            # BZPOPMIN on an idle websocket or worker (channels_redis#422); the layer bounds its own waits.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}], "capacity": 1500, "expiry": 30},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it even when serving from the finders
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: image bytes go through the permission-checked API

AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
STORAGES = {
    "default": {
        "BACKEND": (
            "storages.backends.s3.S3Storage" if AWS_STORAGE_BUCKET_NAME else "django.core.files.storage.FileSystemStorage"
        ),
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True

# Throttled logins (annotations/login_throttle.py): failures per username and per client address.
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))  # proxies in front whose X-Forwarded-For is trusted
AUTHENTICATION_BACKENDS = [
    "annotations.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "10")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "annotations.login_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "annotations.login_throttle.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # failures are kept (and unlocked) in AccessAttempt; successes need no log
AXES_VERBOSE = False
# Kept out of the failures' stored form data (Axes › Access attempts): the invite sign-up's passwords too.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password1", "password2", "csrfmiddlewaretoken"]

INVITE_EXPIRY_DAYS = int(os.environ.get("INVITE_EXPIRY_DAYS", "7"))  # how long an invite link works, 1-30

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call is answered 401 with WWW-Authenticate.
        "annotations.api.authentication.TokenAuthentication",  # DRF's, its lookup SQL written once
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "annotations.api.parsers.JSONParser",  # depth-bounded: a deeply nested body is a 400, not a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "annotations.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "annotations.api.schema.ApiSchema",  # declares the shared error answers
    "EXCEPTION_HANDLER": "annotations.api.errors.exception_handler",
    # token: POST /api/auth/token/; invite: the invite pages (/invites/<token>/), per client address.
    "DEFAULT_THROTTLE_RATES": {"token": "20/min", "invite": os.environ.get("INVITE_RATE", "30/min")},
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "HITL Annotate API",
    "DESCRIPTION": "Multi-user human-in-the-loop image annotation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Content-Security-Policy: no inline script anywhere; styles and images only from here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],  # plus this site's ws(s):// origin, per request (hitl_project/csp.py)
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Uploads: limits on bytes and pixels, checked before anything is stored.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 512 * 1024 * 1024))
UPLOAD_MAX_FILES = int(os.environ.get("UPLOAD_MAX_FILES", 10_000))
# Large files come in chunks (services/chunked_uploads.py), assembled on disk, never in one request.
UPLOAD_CHUNK_MAX_BYTES = int(os.environ.get("UPLOAD_CHUNK_MAX_BYTES", 8 * 1024 * 1024))  # under DATA_UPLOAD_MAX_MEMORY_SIZE
UPLOAD_PARTIAL_DIR = Path(os.environ.get("UPLOAD_PARTIAL_DIR", VAR_DIR / "uploads-partial"))
UPLOAD_PARTIAL_MAX_AGE = int(os.environ.get("UPLOAD_PARTIAL_MAX_AGE", 24 * 3600))
IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS", 80_000_000))
IMAGE_MAX_BYTES = int(os.environ.get("IMAGE_MAX_BYTES", 64 * 1024 * 1024))

# Tracking and datasets.
MLFLOW_TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{VAR_DIR / 'mlflow.db'}"
MLFLOW_ARTIFACT_ROOT = os.environ.get("MLFLOW_ARTIFACT_ROOT") or str(VAR_DIR / "mlruns")
DVC_REPO_DIR = Path(os.environ.get("DVC_REPO_DIR", VAR_DIR / "datasets"))
DVC_REMOTE_URL = os.environ.get("DVC_REMOTE_URL") or str(VAR_DIR / "dvc-remote")
# What a `dvc`/`git` subprocess inherits of this environment (the remote's credentials among it).
DVC_ENVIRONMENT = {
    k: os.environ[k]
    for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
              "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_PROFILE")
    if k in os.environ
}
# Fail fast: a dead tracking server must cost a flush a second, not minutes of MLflow's HTTP retries
# (MLflow reads these from the environment; an operator's own values win).
for _name, _value in (("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"), ("MLFLOW_HTTP_REQUEST_TIMEOUT", "5"),
                      ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")):
    os.environ.setdefault(_name, _value)
ANNOTATION_SESSION_IDLE_SECONDS = int(os.environ.get("ANNOTATION_SESSION_IDLE_SECONDS", 15 * 60))

# Who may create projects: "all" signed-in users (the demo) or only "staff".
PROJECT_CREATORS = os.environ.get("PROJECT_CREATORS", "all").strip().lower()
if PROJECT_CREATORS not in {"all", "staff"}:
    raise ImproperlyConfigured("PROJECT_CREATORS must be 'all' or 'staff'.")

# Inference.
INFERENCE_BACKEND = os.environ.get("INFERENCE_BACKEND", "auto")
MOONDREAM_MODEL = os.environ.get("MOONDREAM_MODEL", "vikhyatk/moondream2")
MOONDREAM_REVISION = os.environ.get("MOONDREAM_REVISION", "2025-06-21")
MOONDREAM_DEVICE = os.environ.get("MOONDREAM_DEVICE", "auto")
MOONDREAM_ENDPOINT = os.environ.get("MOONDREAM_ENDPOINT", "")
MOONDREAM_API_KEY = os.environ.get("MOONDREAM_API_KEY", "")
INFERENCE_JOB_STALE_SECONDS = int(os.environ.get("INFERENCE_JOB_STALE_SECONDS", 120))
INFERENCE_JOB_TIMEOUT_SECONDS = float(os.environ.get("INFERENCE_JOB_TIMEOUT_SECONDS", 300))
INFERENCE_MAX_PIXELS = int(os.environ.get("INFERENCE_MAX_PIXELS", 12_000_000))  # larger frames are downscaled for detection
INFERENCE_JOB_MAX_ATTEMPTS = int(os.environ.get("INFERENCE_JOB_MAX_ATTEMPTS") or 2)
# Models (besides MOONDREAM_MODEL) a job may choose, e.g. to evaluate them: comma-separated ids or directories.
# Their remote code runs in the worker, so only what is listed here can be chosen from the API.
INFERENCE_MODELS_ALLOWED = [m.strip() for m in os.environ.get("INFERENCE_MODELS_ALLOWED", "").split(",") if m.strip()]
INFERENCE_DETECTORS_CACHED = int(os.environ.get("INFERENCE_DETECTORS_CACHED", 2))  # chosen detectors kept per worker
# CPU threads of the detectors (torch and OpenCV pools) where they run: one core is left to the parent process.
INFERENCE_THREADS = int(os.environ.get("INFERENCE_THREADS") or max(1, (os.cpu_count() or 2) - 1))
# Where jobs run: `worker` (runworker processes; the default with REDIS_URL) or `embedded` (a child of
# the web process; the default without). `thread` is the old name of embedded.
INFERENCE_EXECUTION = os.environ.get("INFERENCE_EXECUTION", "")
if INFERENCE_EXECUTION not in {"worker", "embedded", "thread"}:
    INFERENCE_EXECUTION = "worker" if REDIS_URL else "embedded"
INFERENCE_MEMORY_DELAY = float(os.environ.get("INFERENCE_MEMORY_DELAY", 1))  # the tests' slow in-memory detector
INFERENCE_TRACKER = os.environ.get("INFERENCE_TRACKER", "csrt")  # csrt | mil: the tracker of track propagation (issue 14)
INFERENCE_PROPAGATE_MAX_FRAMES = int(os.environ.get("INFERENCE_PROPAGATE_MAX_FRAMES", 300))  # one request tracks at most this far
INFERENCE_DETECT_MAX_FRAMES = int(os.environ.get("INFERENCE_DETECT_MAX_FRAMES", 50))  # detect on the next N frames: N at most this
EVALUATION_WINDOW = int(os.environ.get("EVALUATION_WINDOW", 8))  # frames an evaluation keeps in flight
# Seconds an evaluation's finished job is kept before it is deleted, so its worker is done with it.
EVALUATION_JOB_GRACE_SECONDS = float(os.environ.get("EVALUATION_JOB_GRACE_SECONDS", 3))
# A running evaluation whose driver has not beaten for this long is taken over by a worker (or resumable).
EVALUATION_STALE_SECONDS = float(os.environ.get("EVALUATION_STALE_SECONDS", 30))
# Periodic work of the job-running process (inference/periodic.py): its tick (0: off) and each chore's interval.
PERIODIC_WORK_SECONDS = float(os.environ.get("PERIODIC_WORK_SECONDS", 2))
PERIODIC_REAP_SECONDS = float(os.environ.get("PERIODIC_REAP_SECONDS", 5))
PERIODIC_SESSIONS_SECONDS = float(os.environ.get("PERIODIC_SESSIONS_SECONDS", 60))
PERIODIC_TRACKING_SECONDS = float(os.environ.get("PERIODIC_TRACKING_SECONDS", 2))
PERIODIC_TRACKING_MAX_SECONDS = float(os.environ.get("PERIODIC_TRACKING_MAX_SECONDS", 15))
PERIODIC_STATUS_SECONDS = float(os.environ.get("PERIODIC_STATUS_SECONDS", 60))
PERIODIC_EVALUATIONS_SECONDS = float(os.environ.get("PERIODIC_EVALUATIONS_SECONDS", 2))

# Live collaboration: presence entries expire after the TTL unless the client beats; open sockets
# re-check their access on this interval (and on every message, at most once a second).
PRESENCE_TTL_SECONDS = float(os.environ.get("PRESENCE_TTL_SECONDS", 45))
PRESENCE_HEARTBEAT_SECONDS = float(os.environ.get("PRESENCE_HEARTBEAT_SECONDS", 15))
LIVE_ACCESS_RECHECK_SECONDS = float(os.environ.get("LIVE_ACCESS_RECHECK_SECONDS", 30))

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # 1 (default): the site is served over TLS (the proxy terminates it). 0: the documented plain-HTTP
    # mode on a trusted network, where Secure cookies would never come back and HSTS would lock users out.
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = SECURE_SSL_REDIRECT
    CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000)) if SECURE_SSL_REDIRECT else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG=0.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

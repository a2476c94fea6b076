"""Benchmark settings. BENCH_MODE: none | cachalot | tidemark. Both caches use the same
memcached (BENCH_MEMCACHED=host:port); the database is PostgreSQL (BENCH_PG_* env)."""

import os

SECRET_KEY = "tidemark-bench"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
MODE = os.environ.get("BENCH_MODE", "none")

_db = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": os.environ.get("BENCH_PG_NAME", "tidemark_bench"),
    "USER": os.environ.get("BENCH_PG_USER", "tidemark"),
    "PASSWORD": os.environ.get("BENCH_PG_PASSWORD", "tidemark"),
    "HOST": os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
    "PORT": os.environ.get("BENCH_PG_PORT", "5432"),
    "CONN_MAX_AGE": None,
}
DATABASES = {
    "default": dict(_db),
    # The stale-read check reads the database here, past every cache.
    "direct": dict(_db),
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": os.environ.get("BENCH_MEMCACHED", "127.0.0.1:11299"),
        "TIMEOUT": 300,
        "OPTIONS": {"no_delay": True},
    }
}
INSTALLED_APPS = ["shop"]
if MODE == "cachalot":
    INSTALLED_APPS.insert(0, "cachalot")
    CACHALOT_CACHE = "default"
    CACHALOT_DATABASES = ["default"]
    CACHALOT_TIMEOUT = 300
    SILENCED_SYSTEM_CHECKS = ["cachalot.W001", "cachalot.W002", "cachalot.W003", "cachalot.E001"]
elif MODE.startswith("tidemark"):
    INSTALLED_APPS.insert(0, "tidemark_django")
    TIDEMARK = {
        "SOCKET": os.environ.get("TIDEMARK_SOCKET"),
        "CACHE_ALIAS": "default",
        "DATABASES": ["default"],
        "CACHE_TTL": 300,
        # "tidemark-async": the commit after COMMIT is sent by a background thread.
        "ASYNC_COMMIT": MODE == "tidemark-async",
        # "tidemark-local": hit-path checks read the data file in place (no socket).
        "LOCAL": os.environ.get("TIDEMARK_DATA") if MODE == "tidemark-local" else None,
    }

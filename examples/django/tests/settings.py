"""Settings for the tests: SQLite (default) or PostgreSQL (TIDEMARK_TEST_DB=postgres,
connection from TIDEMARK_PG_DSN or the usual PG* variables)."""

import os
import tempfile

SECRET_KEY = "tidemark-django-tests"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "tidemark_django",
    "tests.testapp",
    "tests.migapp",
]

_engine = os.environ.get("TIDEMARK_TEST_DB", "sqlite")
_name = os.environ.get("TIDEMARK_TEST_DB_NAME")  # a child process joins the test database

if _engine == "postgres":
    from urllib.parse import urlparse

    dsn = os.environ.get("TIDEMARK_PG_DSN")
    parts = urlparse(dsn) if dsn else None
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _name or (parts.path.lstrip("/") if parts else os.environ.get("PGDATABASE", "tidemark")),
            "USER": (parts.username if parts else None) or os.environ.get("PGUSER", "tidemark"),
            "PASSWORD": (parts.password if parts else None) or os.environ.get("PGPASSWORD", "tidemark"),
            "HOST": (parts.hostname if parts else None) or os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": str((parts.port if parts else None) or os.environ.get("PGPORT", "5432")),
            # The tests are about visibility, not crash durability: commits need not wait
            # for the disk (they are visible to other sessions all the same).
            "OPTIONS": {"options": "-c synchronous_commit=off"},
        }
    }
else:
    if not os.environ.get("TIDEMARK_TEST_DIR"):
        # A private directory per test run (removed by conftest.pytest_unconfigure).
        os.environ["TIDEMARK_TEST_DIR"] = tempfile.mkdtemp(prefix="tm-django-db-")
        os.environ["TIDEMARK_TEST_DIR_OWNED"] = "1"
    _dir = os.environ["TIDEMARK_TEST_DIR"]
    _path = _name or os.path.join(_dir, "tidemark-django-test.sqlite3")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _path,
            # A file, not :memory:, so that a second process can open the same database.
            "TEST": {"NAME": _path},
            # No fsync per commit (see the PostgreSQL settings); another process still sees
            # every commit, through the same file.
            "OPTIONS": {"timeout": 30, "init_command": "PRAGMA synchronous=OFF"},
        }
    }

_cache_dir = os.environ.get("TIDEMARK_TEST_CACHE_DIR")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": _cache_dir}
        if _cache_dir
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tidemark-tests"}
    )
}

TIDEMARK = {
    "SOCKET": os.environ.get("TIDEMARK_SOCKET"),
    "CACHE_ALIAS": "default",
    "TIMEOUT": 5.0,
    "BINARY": os.environ.get("TIDEMARK_BIN"),
    "ASYNC_COMMIT": bool(os.environ.get("TIDEMARK_TEST_ASYNC_COMMIT")),
}

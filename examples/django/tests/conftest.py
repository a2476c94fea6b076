import os

import pytest

from tests.server import TidemarkServer

_server: TidemarkServer | None = None
# `tidemark capture postgres` reads PostgreSQL's own log: its test is for the PostgreSQL run.
collect_ignore = [] if os.environ.get("TIDEMARK_TEST_DB") == "postgres" else ["test_capture.py"]
# Local reading opens the server's LMDB data file: there is none on the etcd backend.
if os.environ.get("TIDEMARK_TEST_ETCD"):
    collect_ignore.append("test_local_reader.py")


def pytest_configure(config):
    # Before any Django connection or Tidemark client exists: the client reads
    # $TIDEMARK_SOCKET when it is first created.
    global _server
    _server = TidemarkServer().start()
    os.environ["TIDEMARK_SOCKET"] = _server.socket


def pytest_unconfigure(config):
    if _server is not None:
        _server.stop()
    own = os.environ.get("TIDEMARK_TEST_DIR") if os.environ.get("TIDEMARK_TEST_DIR_OWNED") else None
    if own:
        import shutil

        shutil.rmtree(own, ignore_errors=True)


@pytest.fixture
def server():
    return _server


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import caches

    from tidemark_django import stats

    caches["default"].clear()
    stats.reset()
    yield

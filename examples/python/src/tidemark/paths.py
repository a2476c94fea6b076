"""Default socket path, identical to the server's (Sources/TidemarkClient/DefaultPaths.swift),
so that ``Client()`` and ``tidemark serve`` agree with no configuration."""

from __future__ import annotations

import os
from typing import Mapping

__all__ = ["default_socket_path"]


def default_socket_path(environ: Mapping[str, str] | None = None, uid: int | None = None) -> str:
    """``$TIDEMARK_SOCKET``, else ``$XDG_RUNTIME_DIR/tidemark/tidemark.sock``, else
    ``/tmp/tidemark-<uid>/tidemark.sock``. Empty variables count as unset."""
    env = os.environ if environ is None else environ
    explicit = env.get("TIDEMARK_SOCKET")
    if explicit:
        return explicit
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return runtime + ("tidemark/tidemark.sock" if runtime.endswith("/") else "/tidemark/tidemark.sock")
    return f"/tmp/tidemark-{os.getuid() if uid is None else uid}/tidemark.sock"

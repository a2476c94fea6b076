"""The fail-safe helpers shared by ``Client`` and ``LocalReader``."""

from __future__ import annotations

import logging
from typing import Iterable

from .errors import TidemarkError, Unavailable
from .values import DepLike, StampLike, StampResult

logger = logging.getLogger("tidemark")


class FailSafeReads:
    """``safe_stamp``, ``is_valid`` and ``is_name_valid`` over the class's own ``stamp``,
    ``check`` and ``check_name``.

    These decide cacheability, so every failure answers "cache miss": a service that
    cannot be reached must never make stale data look valid.
    """

    def safe_stamp(self, deps: Iterable[DepLike] | DepLike | None = None) -> StampResult | None:
        """The stamp to store with an entry, or None (do not cache) when the deps are pending
        or the service cannot answer."""
        try:
            result = self.stamp(deps)
        except Unavailable as error:
            logger.debug("tidemark: stamp unavailable, not caching: %s", error)
            return None
        except (TidemarkError, ValueError, TypeError, KeyError) as error:
            logger.warning("tidemark: stamp failed, not caching: %s", error)
            return None
        return result if result.cacheable else None

    def is_valid(self, stamp: StampLike | None, deps: Iterable[DepLike] | DepLike | None) -> bool:
        """True only if the service says the entry is valid; False on any failure."""
        if stamp is None or deps is None:
            return False
        try:
            return self.check(stamp, deps=deps).valid
        except Unavailable as error:
            logger.debug("tidemark: check unavailable, treating as a miss: %s", error)
            return False
        except (TidemarkError, ValueError, TypeError, KeyError) as error:
            logger.warning("tidemark: check failed, treating as a miss: %s", error)
            return False

    def is_name_valid(self, name: str) -> bool:
        """True only if the named entry is registered and valid; False on any failure."""
        try:
            return self.check_name(name).valid
        except Unavailable as error:
            logger.debug("tidemark: check unavailable, treating as a miss: %s", error)
            return False
        except (TidemarkError, ValueError, TypeError, KeyError) as error:
            logger.warning("tidemark: check failed, treating as a miss: %s", error)
            return False

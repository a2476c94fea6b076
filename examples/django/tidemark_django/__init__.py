"""Transparent caching of Django ORM reads, invalidated exactly by Tidemark.

Add ``"tidemark_django"`` to INSTALLED_APPS and a ``TIDEMARK = {...}`` setting; nothing
else changes in the application. See README.md.
"""

from .state import cache, no_cache
from .writes import TidemarkWriteError


def counters():
    """This process's counters (hit, miss, invalid, stored, bypass, begin, commit, ...)."""
    from . import stats as _stats

    return _stats.snapshot()


__all__ = ["cache", "no_cache", "counters", "TidemarkWriteError"]

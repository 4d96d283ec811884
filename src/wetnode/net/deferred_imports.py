"""Packages py-libp2p imports but an idle node never calls: each loads on first use.

py-libp2p's ``__init__`` imports its ACME client (AutoTLS) unconditionally, and
that module's ``import httpx`` and ``import requests`` bring httpx's command
line (click, pygments), requests, urllib3 and charset_normalizer: ~150 modules
and ~7 MB of every node's RSS, for certificates a node never asks for.
It uses the names only inside functions, so `defer_unused_imports` puts a stand-in in
``sys.modules`` for each: ``import httpx`` binds the stand-in, and the first
attribute read on it (``httpx.AsyncClient``) runs the package in it.
Nothing is lost: whatever calls them gets the real package, only later.
Like `wetnode.net.plain_dns` it must run before libp2p is imported, so the
``ww`` command calls it before it imports a subcommand; a library user's
process keeps its ordinary imports.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types

DEFERRED = ("httpx", "requests", "cbor2")
"""Imported whole (``import NAME``) by py-libp2p at import time (AutoTLS; cbor2 for
IPNS records and bitswap DAGs) and used only inside functions an idle node does not
call.  psutil, imported the same way by multiaddr, is not here: py-libp2p's resource
manager calls it while a node boots."""

_lock = threading.RLock()
_loading: set[str] = set()


class _Deferred(types.ModuleType):
    """A stand-in for a package not run yet: the first missing attribute runs it, here.

    The package's code runs in this very module object (as `importlib.util.LazyLoader`
    does, whose stand-in Python 3.11's own ``import`` statement already loads), so
    there is one module object, whoever imported it when.
    """

    def __getattr__(self, attr: str) -> object:
        name = self.__name__
        with _lock:
            if type(self) is _Deferred:
                if name in _loading:  # the package's own code, while it runs
                    raise AttributeError(f"partially initialized module {name!r} has no {attr!r}")
                spec = self.__spec__
                assert spec is not None and spec.loader is not None  # set by defer_unused_imports
                _loading.add(name)
                try:
                    spec.loader.exec_module(self)
                finally:
                    _loading.discard(name)
                self.__class__ = types.ModuleType  # type: ignore[assignment]
        return getattr(self, attr)


def defer_unused_imports(names: tuple[str, ...] = DEFERRED) -> None:
    """Put a stand-in for each not-yet-imported, installed package of `names` in ``sys.modules``."""
    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue  # not installed: `import` raises as it would have
        stand_in = _Deferred(name)
        stand_in.__spec__ = spec
        stand_in.__loader__ = spec.loader
        stand_in.__file__ = spec.origin
        stand_in.__dict__["__cached__"] = spec.cached
        stand_in.__package__ = spec.parent
        if spec.submodule_search_locations is not None:
            stand_in.__path__ = list(spec.submodule_search_locations)
        sys.modules[name] = stand_in

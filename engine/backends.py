"""Backend registry: a backend name in a request -> a factory that builds the backend.

'previs' is built in. Other backends register themselves when their package is imported
(`register_backend('diffusion', factory)`); `create_backend` imports a known optional package on
first use so a request for 'diffusion' works without the caller importing it.
"""
from __future__ import annotations

import importlib
import threading
from typing import Callable

from .errors import EngineError, ErrorKind
from .jobs import Backend

BackendFactory = Callable[[], Backend]

_lock = threading.Lock()
_factories: dict[str, BackendFactory] = {}
# Packages that register a backend of that name when imported (imported lazily: torch stays unloaded),
# and the class used when the package registers nothing itself.
_OPTIONAL = {"diffusion": ("engine.diffusion", "engine.diffusion.backend:DiffusionBackend")}


def _previs() -> Backend:
    from .previs.backend import PrevisBackend
    return PrevisBackend()


def _grade() -> Backend:
    from .grade_backend import GradeBackend
    return GradeBackend()


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make `name` available to requests. Registering a name again replaces its factory."""
    if not name or not callable(factory):
        raise ValueError("register_backend needs a name and a callable factory")
    with _lock:
        _factories[name] = factory


def backend_names() -> list[str]:
    with _lock:
        return sorted(set(_factories) | {"previs"})


def known_backend_names() -> list[str]:
    """Every name a shot may ask for: the registered backends and the optional ones (installed or not)."""
    with _lock:
        return sorted(set(_factories) | {"previs"} | set(_OPTIONAL))


def create_backend(name: str) -> Backend:
    """A new backend instance for `name`; EngineError UNSUPPORTED when nothing provides it."""
    with _lock:
        factory = _factories.get(name)
    if factory is None and name in _OPTIONAL:
        package, fallback = _OPTIONAL[name]
        try:
            module = importlib.import_module(package)
            hook = getattr(module, "register", None)
            if callable(hook):
                hook()
            with _lock:
                factory = _factories.get(name)
            if factory is None:
                mod_name, cls_name = fallback.split(":")
                factory = getattr(importlib.import_module(mod_name), cls_name)
        except (ImportError, AttributeError) as exc:
            raise EngineError(ErrorKind.UNSUPPORTED, f"the {name} backend is not installed ({exc})",
                              "Install the gen extra (pip install -e '.[gen]') or use the previs backend.") from exc
    if factory is None:
        raise EngineError(ErrorKind.UNSUPPORTED, f"no backend called {name!r} (known: {', '.join(backend_names())})",
                          "Choose one of the known backends.")
    return factory()


register_backend("previs", _previs)
register_backend("grade", _grade)  # colour match: a graded copy of a take (engine/grade_backend.py)

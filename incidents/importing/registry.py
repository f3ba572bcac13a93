"""Finding a source module by name: `incidents.importing.sources.<name, - as _>`, or a
dotted module path of your own; either exposes SOURCE (sources/base.py's Source)."""

from __future__ import annotations

import importlib
import re

from .sources.base import Source

SOURCES = ("pagerduty", "opsgenie", "grafana-oncall")
NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


class UnknownSource(LookupError):
    pass


def module_name(name: str) -> str | None:
    if "." in name:
        return name
    return f"incidents.importing.sources.{name.replace('-', '_')}" if NAME.match(name) else None


def load_source(name: str) -> Source:
    """The SOURCE for `name`; UnknownSource (saying the choices) when there is none."""
    path = module_name(name)
    module = None
    if path is not None:
        try:
            module = importlib.import_module(path)
        except ModuleNotFoundError as missing:
            if missing.name != path:
                raise  # the module exists but something it needs does not: a real error
    if module is None or not hasattr(module, "SOURCE"):
        raise UnknownSource(f"No importer {name!r}: choose one of {', '.join(SOURCES)}.")
    return module.SOURCE


def available(names: list[str] | tuple[str, ...]) -> list[tuple[str, Source]]:
    """(name, SOURCE) for each of `names` that is installed."""
    found = []
    for name in names:
        try:
            found.append((name, load_source(name)))
        except UnknownSource:
            continue
    return found

"""The configuration document as YAML text.

YAML 1.1 (PyYAML's) reads an unquoted 20:00 as the number 1200 and 2027-03-01 as a date;
a hand-edited file says "20:00" and means the time. So the loader reads clock times,
dates and timestamps as the text they are: the document's values are all strings there,
checked by the engine like any other."""

from __future__ import annotations

import re

import yaml

from .document import Document
from .validate import DocumentError

# PyYAML's int pattern without its base-60 form (20:00 -> 1200).
INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
KEPT_AS_TEXT = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp"}


class ConfigLoader(yaml.SafeLoader):
    """SafeLoader (no objects, only data) that leaves times and dates as text."""


ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in KEPT_AS_TEXT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:int", INT, list("-+0123456789"))


def load_document(text: str) -> Document:
    """The document in `text`; DocumentError saying where when it is not YAML."""
    try:
        document = yaml.load(text, Loader=ConfigLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(problem, "problem", None) or str(problem)
        raise DocumentError([f"Not a YAML document: {where}{reason}"]) from None
    if document is None:
        raise DocumentError(["The file is empty."])
    return document


def dump_document(document: Document) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)

"""Markdown for summaries and notes: CommonMark via markdown-it-py, sanitised by nh3."""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

# html=False: raw HTML in the source is shown as text, never rendered; nh3 is the second
# wall, so a parser bug cannot turn into script injection.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)

_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th",
    "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}, "ol": {"start"}}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})


def link_href(url: object, *, relative: bool = False) -> str:
    """`url` if it may be the target of a link: http(s) or mailto only (and, with
    `relative`, a path on Keel itself), else "". Links come from alerts and people
    (Alertmanager's generatorURL, a link in a summary): a `javascript:` or `data:` one would
    run in Keel's pages. urlsplit drops tabs, newlines and leading blanks as browsers do, so
    `java\tscript:` is seen for what it is."""
    if not isinstance(url, str) or not url.strip():
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme:
        absolute = parts.scheme.lower() in LINK_SCHEMES
        return url.strip() if absolute and (parts.netloc or parts.scheme == "mailto") else ""
    own = relative and url.strip().startswith(("/", "#")) and not url.strip().startswith("//")
    return url.strip() if own else ""


def _attribute(element: str, attribute: str, value: str) -> str | None:
    if element == "a" and attribute == "href":
        return link_href(value, relative=True) or None
    return value


def render_markdown(text: str) -> str:
    """Safe HTML for a Markdown string."""
    if not text:
        return ""
    return nh3.clean(
        _md.render(text),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=set(LINK_SCHEMES),
        attribute_filter=_attribute,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )

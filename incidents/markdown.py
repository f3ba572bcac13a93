"""Markdown for summaries and notes: CommonMark via markdown-it-py, sanitised by nh3."""

from __future__ import annotations

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


def render_markdown(text: str) -> str:
    """Safe HTML for a Markdown string."""
    if not text:
        return ""
    return nh3.clean(
        _md.render(text),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )

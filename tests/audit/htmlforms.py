"""Read an HTML form's fields the way a browser would submit them untouched, so a test can
change a few and post the rest as they were (the admin's forms with their inlines)."""

from __future__ import annotations

from html.parser import HTMLParser


class FormFields(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_multiple = False
        self._textarea: str | None = None

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if not self.inside or "__prefix__" in a.get("name", "") or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.add(name, a.get("value", "on"))
            elif kind not in ("submit", "button", "file", "image"):
                self.add(name, a.get("value", ""))
        elif tag == "select" and name:
            self._select, self._select_multiple = name, "multiple" in a
            self.fields.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.add(self._select, a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.add(name, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            values = self.fields[self._textarea]
            values[-1] += data.removeprefix("\n") if not values[-1] else data


def form_fields(html: str, form_id: str) -> dict[str, list[str]]:
    parser = FormFields(form_id)
    parser.feed(html)
    assert parser.fields, f"no form #{form_id} in the page"
    return {name: values for name, values in parser.fields.items() if values}

"""Reading and filling HTML forms the way a browser submits them (stdlib only).

Locust talks HTTP, not HTML: to save a screening section or record a service as a caseworker
does, the load generator reads the form the page renders, keeps every value the page filled
in (hidden ``version`` and CSRF fields included) and fills what a person would fill.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    attrs: dict[str, str]
    # name -> list of values, as the browser would send them
    values: dict[str, list[str]] = field(default_factory=dict)
    # name -> (input type, required, options of a select)
    controls: dict[str, tuple[str, bool, list[str]]] = field(default_factory=dict)

    def fill_required(self) -> None:
        """Give every required control that is still empty a plausible value."""
        today = datetime.date.today().isoformat()
        for name, (kind, required, options) in self.controls.items():
            if not required or any(v.strip() for v in self.values.get(name, [])):
                continue
            if kind in {"select", "radio"}:
                choices = [o for o in options if o]
                if choices:
                    self.values[name] = [choices[0]]
            elif kind == "date":
                self.values[name] = [today]
            elif kind == "number":
                self.values[name] = ["1"]
            elif kind in {"text", "textarea", "search", ""}:
                self.values[name] = ["Load benchmark note"]

    def data(self) -> list[tuple[str, str]]:
        return [(name, value) for name, values in self.values.items() for value in values]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, bool] | None = None
        self._select_options: list[str] = []
        self._select_selected: list[str] = []
        self._option_value: str | None = None
        self._option_text: list[str] = []
        self._textarea: tuple[str, bool] | None = None
        self._textarea_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(
                action=a.get("action", ""), method=a.get("method", "get").lower(), attrs=a
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            control = form.controls.setdefault(name, (kind, "required" in a, []))
            if kind == "radio":
                control[2].append(a.get("value", "on"))
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    form.values.setdefault(name, []).append(a.get("value", "on"))
            elif kind not in {"submit", "button", "image", "file", "reset"}:
                form.values.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name and "disabled" not in a:
            self._select = (name, "required" in a)
            self._select_options, self._select_selected = [], []
        elif tag == "option" and self._select is not None:
            self._option_value = a.get("value")
            self._option_text = []
            if "selected" in a:
                self._select_selected.append(a.get("value", ""))
        elif tag == "textarea" and name and "disabled" not in a:
            self._textarea = (name, "required" in a)
            self._textarea_text = []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea_text.append(data)
        if self._option_value is None and self._select is not None:
            self._option_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "form":
            self._form = None
        elif tag == "option" and self._select is not None:
            value = self._option_value
            if value is None:
                value = "".join(self._option_text).strip()
            self._select_options.append(value)
            self._option_value = None
        elif tag == "select" and self._select is not None and form is not None:
            name, required = self._select
            form.controls[name] = ("select", required, list(self._select_options))
            if self._select_selected:
                form.values[name] = list(self._select_selected)
            elif self._select_options:
                form.values[name] = [self._select_options[0]]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and form is not None:
            name, required = self._textarea
            form.controls[name] = ("textarea", required, [])
            form.values[name] = ["".join(self._textarea_text).lstrip("\n")]
            self._textarea = None


def forms_in(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_with(html: str, field_name: str) -> Form | None:
    """The first form of the page with a control named ``field_name``."""
    return next((f for f in forms_in(html) if field_name in f.controls), None)

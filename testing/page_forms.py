"""Reading a page's HTML forms as a pupil's browser would, and filling them in.

A few regular expressions over the tags, not a full HTML parser: a load client shares the CPUs
with the server it measures, so it must cost little.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urljoin, urlsplit

SHORT_TEXTS = ["More clubs at lunchtime.", "Somewhere quiet to go.", "Teachers who listen."]
PREFER_NOT_TO_SAY = "prefer-not-to-say"


@dataclass
class Control:
    kind: str  # input type ("text", "radio", "hidden", "submit"...), "textarea", "select" or "button"
    name: str
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    exclusive: bool = False  # a "none of these" box that must be ticked alone


@dataclass
class Form:
    action: str
    method: str
    controls: list[Control] = field(default_factory=list)

    def buttons(self) -> list[Control]:
        return [c for c in self.controls if c.kind in ("submit", "button", "image")]

    def fields(self, kind: str) -> list[Control]:
        return [c for c in self.controls if c.kind == kind and c.name]


_TAG = re.compile(r"<(/?)(form|input|button|textarea|select|option)\b([^>]*)>", re.I)
_ATTRIBUTE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_END = {
    "textarea": re.compile(r"</textarea\s*>", re.I),
    "option": re.compile(r"<(?:/option|option|/select)\b", re.I),
}


def tag_attributes(text: str) -> dict[str, str]:
    found = {}
    for name, double, single, bare in _ATTRIBUTE.findall(text):
        found.setdefault(name.lower(), unescape(double or single or bare))
    return found


def parse_forms(html: str) -> list[Form]:
    """Every <form> on a page with its named controls. A few regular expressions over the tags, not a
    full HTML parser: the load client shares the CPUs with the server, so it must cost little."""
    forms: list[Form] = []
    form: Form | None = None
    select: Control | None = None
    for match in _TAG.finditer(html):
        closing, tag, rest = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            if tag == "form":
                form = select = None
            elif tag == "select":
                select = None
            continue
        a = tag_attributes(rest)
        if tag == "form":
            form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            forms.append(form)
        elif form is None:
            continue
        elif tag == "input":
            kind = a.get("type", "text").lower()
            default = "on" if kind in ("radio", "checkbox") else ""
            value = a.get("value", default)
            exclusive = a.get("data-behaviour") == "exclusive" or value == PREFER_NOT_TO_SAY
            form.controls.append(Control(kind, a.get("name", ""), value, "checked" in a, exclusive=exclusive))
        elif tag == "button":
            kind = "submit" if a.get("type", "submit").lower() == "submit" else "button-other"
            form.controls.append(Control(kind, a.get("name", ""), a.get("value", "")))
        elif tag == "textarea":
            end = _END["textarea"].search(html, match.end())
            text = html[match.end() : end.start() if end else len(html)]
            form.controls.append(Control("textarea", a.get("name", ""), unescape(text)))
        elif tag == "select":
            select = Control("select", a.get("name", ""))
            form.controls.append(select)
        elif tag == "option" and select is not None:
            if "value" in a:
                select.options.append(a["value"])
            else:
                end = _END["option"].search(html, match.end())
                text = html[match.end() : end.start() if end else len(html)]
                select.options.append(unescape(re.sub(r"<[^>]*>", "", text)).strip())
    return forms


def main_form(forms: list[Form], page_url: str, *, needs: str | None = None) -> Form | None:
    """The page's POST form: the one with control `needs` if given, else one posting back to the page,
    else the one with the most answerable controls (so a language switch or sign-out form is passed over)."""
    posts = [f for f in forms if f.method == "post"]
    if needs:
        posts = [f for f in posts if any(c.name == needs for c in f.controls)]
    page = urlsplit(page_url)._replace(query="", fragment="").geturl()
    own = [f for f in posts if urlsplit(urljoin(page_url, f.action))._replace(fragment="").geturl() == page]
    candidates = own or posts
    if not candidates:
        return None
    return max(candidates, key=lambda f: sum(c.kind in ("radio", "checkbox", "textarea") for c in f.controls))


def hidden_fields(form: Form) -> list[tuple[str, str]]:
    return [(c.name, c.value) for c in form.fields("hidden")]


def pick_button(form: Form, prefer: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The submit button's own name=value, if it has a name: a preferred value, else the first button."""
    named = [b for b in form.buttons() if b.name]
    for value in prefer:
        for button in named:
            if button.value == value:
                return [(button.name, button.value)]
    first = form.buttons()[0] if form.buttons() else None
    return [(first.name, first.value)] if first and first.name else []


def fill_answers(form: Form, rng: random.Random) -> list[tuple[str, str]]:
    """A pupil's answers: any value of each radio group, 0–2 boxes of each checkbox group,
    text areas and text boxes mostly left empty, a random option of each select."""
    data = hidden_fields(form)
    groups: dict[tuple[str, str], list[Control]] = defaultdict(list)
    for control in form.controls:
        if control.name and control.kind in ("radio", "checkbox"):
            groups[control.kind, control.name].append(control)
    for (kind, name), boxes in groups.items():
        if kind == "radio":
            data.append((name, rng.choice(boxes).value))
            continue
        ticked = rng.sample(boxes, min(len(boxes), rng.randint(0, 2)))
        alone = [box for box in ticked if box.exclusive]
        data.extend((name, box.value) for box in (alone[:1] or ticked))
    for control in form.controls:
        if control.kind == "textarea" and control.name:
            data.append((control.name, rng.choice(SHORT_TEXTS) if rng.random() < 0.1 else ""))
        elif control.kind in ("text", "number") and control.name:
            data.append((control.name, ""))
        elif control.kind == "select" and control.name and control.options:
            data.append((control.name, rng.choice(control.options)))
    return data + pick_button(form, prefer=("continue", "next", "save"))


def shown_message(html: str) -> str:
    """The first error message a page shows (GOV.UK error summary or message), as plain text."""
    found = re.search(
        r'class="govuk-error-(?:summary__list|message)[^"]*"[^>]*>(.*?)</(?:ul|p|span)', html, re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())[:150] if found else ""

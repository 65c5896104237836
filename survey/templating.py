"""Template context shared by every page: the page language and writing direction."""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import get_locale
from markupsafe import Markup

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
DIRECTIONS = ("ltr", "rtl", "auto")


def html_lang_and_dir(lang: str, direction: str) -> Markup:
    """The value for GOV.UK Frontend's `htmlLang`, with a `dir` attribute after it.

    The page template writes `<html lang="{{ htmlLang }}" …>` and has no parameter for other
    attributes of <html>, so we close the `lang` value and add `dir`. Both parts are checked against
    strict patterns first, so nothing else can get into the tag.
    """
    lang = str(lang).replace("_", "-")
    if not LANGUAGE_TAG.match(lang):
        raise ValueError(f"not a language tag: {lang!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"not a text direction: {direction!r}")
    return Markup(f'{lang}" dir="{direction}')  # both parts validated above


def init_app(app: Flask) -> None:
    app.add_template_global(html_lang_and_dir)

    @app.context_processor
    def language() -> dict:
        locale = get_locale()
        if locale is None:
            return {"htmlLang": "en", "htmlDir": "ltr", "current_language": "en"}
        direction = "rtl" if locale.character_order == "right-to-left" else "ltr"
        return {
            "htmlLang": str(locale).replace("_", "-"),
            "htmlDir": direction,
            "current_language": locale.language,
        }

"""Pages without a database: the base layout, the pupil start page, error pages, headers and the theme."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import abort, render_template, render_template_string, request
from werkzeug.datastructures import MultiDict

from survey import create_app
from survey.pupil.forms import CodeForm
from survey.templating import html_lang_and_dir
from tests.pages import PageError, check_page

ROOT = Path(__file__).resolve().parent.parent
BUILT_CSS = ROOT / "survey" / "static" / "build" / "app.css"
WELSH_CATALOGUE = ROOT / "survey" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
CONFIG = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": False}


@pytest.fixture
def web_app():
    return create_app(dict(CONFIG))


@pytest.fixture
def web(web_app):
    return web_app.test_client()


@pytest.fixture(scope="module", autouse=True)
def compiled_welsh():
    """Compile the Welsh catalogue if it is missing or older than the .po (`make` normally does this)."""
    mo = WELSH_CATALOGUE.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < WELSH_CATALOGUE.stat().st_mtime:
        with WELSH_CATALOGUE.open("rb") as source:
            catalogue = read_po(source, locale="cy")
        with mo.open("wb") as target:
            write_mo(target, catalogue)


def in_welsh(client) -> None:
    with client.session_transaction() as session:
        session["language"] = "cy"


def text(element) -> str:
    return " ".join(element.get_text().split())


def test_start_page(web):
    response = web.get("/")
    assert response.status_code == 200
    page = check_page(response)

    assert text(page.title) == "Have your say about school – Pupil Voice"
    assert page.html["lang"] == "en"
    assert page.html["dir"] == "ltr"
    assert text(page.h1) == "Have your say about school"
    assert "Run by: Your school and the national pupil voice team" in text(page.main)

    form = page.select_one("main form")
    assert form["method"] == "post"
    assert form["action"] == "/"
    label = form.select_one("label[for=code]")
    assert text(label) == "Enter your code"
    field = form.select_one("input#code")
    assert field["name"] == "code"
    assert field["type"] == "text"
    assert field["autocomplete"] == "off"
    assert field["spellcheck"] == "false"
    assert field["autocapitalize"] == "characters"
    assert text(page.select_one(f"#{field['aria-describedby']}")) == (
        "It is on the slip your teacher gave you, like ABCDE-23456"
    )
    assert text(form.select_one("button.govuk-button")) == "Start"


def test_start_page_in_welsh(web):
    in_welsh(web)
    page = check_page(web.get("/"))

    assert page.html["lang"] == "cy"
    assert text(page.h1) == "Dweud dy ddweud am yr ysgol"
    assert text(page.title) == "Dweud dy ddweud am yr ysgol – Pupil Voice"
    assert text(page.select_one("label[for=code]")) == "Rho dy god"
    assert text(page.select_one("main form button")) == "Dechrau"
    assert text(page.select_one(".govuk-skip-link")) == "Neidio i’r prif gynnwys"


def test_layout_has_our_header_and_no_gov_uk_branding(web):
    page = check_page(web.get("/"))

    header = page.select_one("header.govuk-template__header")
    service_link = header.select_one("a.app-header__service-name")
    assert text(service_link) == "Pupil Voice"
    assert service_link["href"] == "/"
    assert page.select_one(".govuk-header, .govuk-header__logo, .govuk-footer") is None
    assert "GOV.UK" not in page.get_text()
    assert "Run for schools in England and Wales" in text(page.select_one("footer"))
    icons = [link["href"] for link in page.select("link[rel~=icon], link[rel=manifest], link[rel=mask-icon]")]
    assert icons == ["/static/images/favicon.svg"]


def test_assets_and_javascript(web):
    page = check_page(web.get("/"))

    assert page.select_one("link[rel=stylesheet]")["href"] == "/static/build/app.css"
    external = [script for script in page.find_all("script") if script.get("src")]
    assert [(s["src"], s.get("type")) for s in external] == [("/static/js/app.mjs", "module")]
    module = web.get("/static/js/app.mjs")
    assert module.status_code == 200
    assert module.mimetype == "text/javascript"  # module scripts need a JavaScript MIME type (nosniff)
    assert 'from "../build/govuk-frontend.min.js"' in module.get_data(as_text=True)
    module.close()


def test_security_headers_and_nonce(web):
    first = web.get("/")
    second = web.get("/")
    csp = first.headers["Content-Security-Policy"]

    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "default-src 'self'" in csp
    assert "style-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Referrer-Policy"] == "same-origin"

    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    inline = [script for script in check_page(first).find_all("script") if not script.get("src")]
    assert len(inline) == 1
    assert inline[0]["nonce"] == nonce
    assert "js-enabled" in inline[0].string
    assert nonce not in second.headers["Content-Security-Policy"], "the nonce must change on every request"


def test_unknown_url_gives_404_page(web):
    response = web.get("/no-such-page")
    assert response.status_code == 404
    page = check_page(response)
    assert text(page.title) == "Page not found – Pupil Voice"
    assert text(page.h1) == "Page not found"
    assert page.select_one("main a[href='/']") is not None
    assert "nonce-" in response.headers["Content-Security-Policy"]


def test_404_page_in_welsh(web):
    in_welsh(web)
    response = web.get("/no-such-page")
    assert response.status_code == 404
    page = check_page(response)
    assert page.html["lang"] == "cy"
    assert text(page.h1) == "Heb ddod o hyd i’r dudalen"


@pytest.mark.parametrize(
    ("code", "heading"),
    [
        (400, "Sorry, there is a problem"),
        (403, "You cannot see this page"),
        (405, "You cannot do that on this page"),
        (413, "The file is too big"),
        (429, "Too many tries"),
        (500, "Sorry, there is a problem with the service"),
    ],
)
def test_error_pages(code, heading):
    app = create_app(dict(CONFIG))
    app.add_url_rule("/_fail", "fail", lambda: abort(code))
    response = app.test_client().get("/_fail")
    assert response.status_code == code
    page = check_page(response)
    assert text(page.h1) == heading
    assert text(page.title) == f"{heading} – Pupil Voice"


def test_413_page_gives_the_limit():
    app = create_app({**CONFIG, "MAX_CONTENT_LENGTH": 5 * 1024 * 1024})
    app.add_url_rule("/_upload", "upload", lambda: str(len(request.files)), methods=["POST"])
    upload = {"roster": (io.BytesIO(b"x" * (5 * 1024 * 1024 + 1)), "roster.csv")}
    response = app.test_client().post("/_upload", data=upload)
    assert response.status_code == 413
    assert "The file must be smaller than 5 MB." in text(check_page(response).main)


def test_405_keeps_the_allow_header():
    app = create_app(dict(CONFIG))
    app.add_url_rule("/_only-get", "only_get", lambda: "ok")
    response = app.test_client().delete("/_only-get")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    check_page(response)


def test_unhandled_exception_gives_500_page():
    app = create_app({**CONFIG, "PROPAGATE_EXCEPTIONS": False})

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/_broken", "broken", broken)
    response = app.test_client().get("/_broken")
    assert response.status_code == 500
    page = check_page(response)
    assert text(page.h1) == "Sorry, there is a problem with the service"
    assert "boom" not in response.get_data(as_text=True)


def test_csrf_failure_says_the_page_timed_out():
    app = create_app({**CONFIG, "WTF_CSRF_ENABLED": True})
    app.add_url_rule("/_form", "form", lambda: "saved", methods=["POST"])
    response = app.test_client().post("/_form", data={"code": "ABCDE-23456"})
    assert response.status_code == 400
    page = check_page(response)
    assert text(page.h1) == "This page timed out"
    assert "Go back and try again." in text(page.main)


def test_title_says_error_when_the_form_has_errors(web_app):
    with web_app.test_request_context("/", method="POST"):
        form = CodeForm(formdata=MultiDict({"code": "  "}), meta={"csrf": False})
        assert not form.validate()
        html = render_template("pupil/start.html", form=form)

    page = check_page(web_app.response_class(html, mimetype="text/html", headers=_csp_for(html)))
    assert text(page.title) == "Error: Have your say about school – Pupil Voice"
    summary = page.select_one(".govuk-error-summary")
    assert text(summary.select_one("h2")) == "There is a problem"
    assert summary.select_one("a[href='#code']").get_text(strip=True) == "Enter the code from your slip"
    assert "Enter the code from your slip" in text(page.select_one("#code-error"))


def _csp_for(html: str) -> dict:
    """A CSP header with the nonce the page was rendered with (for pages rendered outside a request)."""
    nonce = re.search(r'<script nonce="([^"]+)"', html).group(1)
    return {"Content-Security-Policy": f"script-src 'self' 'nonce-{nonce}'"}


def test_option_symbols_are_decorative(web_app):
    with web_app.test_request_context("/"):
        html = render_template_string(
            '{% from "macros/symbols.html" import appSymbol %}{{ appSymbol("happy") }} Yes'
        )
    assert html == '<span class="app-symbol app-symbol--happy" aria-hidden="true"></span> Yes'


def test_pages_can_set_direction_and_primary_version(web_app):
    source = (
        '{% extends "base.html" %}{% set htmlDir = "rtl" %}{% set bodyClasses = "app-primary" %}'
        "{% block title %}A page{% endblock %}"
    )
    with web_app.test_request_context("/"):
        html = render_template_string(source)
    assert '<html lang="en" dir="rtl" class="govuk-template">' in html
    assert '<body class="govuk-template__body app-primary">' in html


def test_html_dir_is_checked():
    assert str(html_lang_and_dir("ar", "rtl")) == 'ar" dir="rtl'
    assert str(html_lang_and_dir("en_GB", "ltr")) == 'en-GB" dir="ltr'
    with pytest.raises(ValueError):
        html_lang_and_dir('en" onload="alert(1)', "ltr")
    with pytest.raises(ValueError):
        html_lang_and_dir("en", "sideways")


def test_check_page_rejects_bad_pages(web_app):
    def page(body: str, head: str = "<title>A page</title>"):
        html = f'<!DOCTYPE html><html lang="en"><head>{head}</head><body>{body}</body></html>'
        return web_app.response_class(html, mimetype="text/html")

    check_page(page("<p>Fine</p>"))
    for bad, why in [
        (page("<p>Fine</p>", head=""), "title"),
        (page("<p>Fine</p>", head="<title> </title>"), "empty"),
        (page('<p id="a"></p><p id="a"></p>'), "duplicate id"),
        (page('<form method="post"><button>Go</button></form>'), "without an action"),
        (page("<p>Unclosed <b>bold</p>"), "invalid HTML"),
        (page("<script>alert(1)</script>"), "nonce"),
        (page('<p style="color: red">Red</p>'), "inline styles"),
        (page('<label for="nothing">Name</label>'), "points at no element"),
    ]:
        with pytest.raises(PageError, match=why):
            check_page(bad)


def test_welsh_catalogue_is_complete():
    with WELSH_CATALOGUE.open("rb") as file:
        catalogue = read_po(file, locale="cy")
    messages = [message for message in catalogue if message.id]
    assert messages
    assert [m.id for m in messages if not m.string or m.fuzzy] == []
    assert "needs review by a fluent Welsh speaker" in WELSH_CATALOGUE.read_text(encoding="utf-8")


def test_built_css_has_no_gov_uk_font_or_crown():
    if not BUILT_CSS.exists():
        pytest.skip("survey/static/build/app.css is not built: run `npm ci && npm run build`")
    css = BUILT_CSS.read_text(encoding="utf-8-sig")
    for forbidden in ("GDS Transport", "@font-face", "/fonts/", "crown", "crest", "govuk-logo"):
        assert forbidden.lower() not in css.lower(), f"{forbidden!r} found in the built CSS"
    assert "font-family:arial,sans-serif" in css
    assert ".app-header" in css
    assert ".app-primary" in css
    assert ".app-symbol" in css

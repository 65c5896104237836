"""Checks that every rendered page should pass, in the style of notifications-admin's `client_request`.

`check_page(response)` parses the HTML strictly and fails the test on markup that a browser would
silently repair, then on a few rules of our own (title, ids, forms, CSP). It returns the page as a
BeautifulSoup document for the test's own assertions.
"""

from __future__ import annotations

import re

import html5lib
from bs4 import BeautifulSoup
from bs4.builder import HTML5TreeBuilder

NONCE = re.compile(r"'nonce-([^']+)'")


class PageError(AssertionError):
    pass


def _fail(message: str) -> None:
    raise PageError(message)


def check_page(response) -> BeautifulSoup:
    """Parse `response` (a Flask test response) strictly and check it; return the document."""
    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith("text/html"):
        _fail(f"expected an HTML page, got Content-Type {content_type!r}")
    html = response.get_data(as_text=True)

    builder = _StrictHTML5()
    try:
        page = BeautifulSoup(html, builder=builder)
    except html5lib.html5parser.ParseError as error:
        errors = builder.parser.errors if builder.parser else []
        line, column = errors[-1][0] if errors else ("?", "?")
        _fail(f"invalid HTML at line {line}, column {column}: {error}\n{_excerpt(html, line)}")

    _check_title(page)
    _check_ids(page)
    _check_references(page)
    _check_forms(page)
    _check_inline_code(page, response.headers.get("Content-Security-Policy", ""))
    return page


class _StrictHTML5(HTML5TreeBuilder):
    """BeautifulSoup's html5lib tree builder with html5lib's strict mode on: the page is parsed once,
    failing on the first markup a browser would silently repair, into the document the checks and
    the tests read (it was parsed twice, strictly and then for BeautifulSoup: a tenth of the time of
    a page test)."""

    parser: html5lib.HTMLParser | None = None

    def feed(self, markup) -> None:
        self.parser = html5lib.HTMLParser(tree=self.create_treebuilder, strict=True)
        assert self.underlying_builder is not None
        self.underlying_builder.parser = self.parser
        document = self.parser.parse(markup)
        if isinstance(markup, str):
            document.original_encoding = None
        self.underlying_builder.parser = None


def _excerpt(html: str, line) -> str:
    if not isinstance(line, int):
        return ""
    lines = html.splitlines()
    return "\n".join(f"{n:4}: {lines[n - 1]}" for n in range(max(1, line - 2), min(len(lines), line + 2) + 1))


def _check_title(page: BeautifulSoup) -> None:
    titles = page.select("head > title")
    if len(titles) != 1:
        _fail(f"expected one <title> in <head>, found {len(titles)}")
    if not titles[0].get_text(strip=True):
        _fail("the <title> is empty")
    if not page.html.get("lang"):
        _fail("<html> has no lang attribute")


def _check_ids(page: BeautifulSoup) -> None:
    seen: set[str] = set()
    for element in page.find_all(id=True):
        element_id = element["id"]
        if not element_id.strip():
            _fail(f"empty id on <{element.name}>")
        if element_id in seen:
            _fail(f"duplicate id {element_id!r}")
        seen.add(element_id)


def _check_references(page: BeautifulSoup) -> None:
    ids = {element["id"] for element in page.find_all(id=True)}
    for label in page.find_all("label", attrs={"for": True}):
        if label["for"] not in ids:
            _fail(f"<label for={label['for']!r}> points at no element")
    for attribute in ("aria-describedby", "aria-labelledby", "aria-controls"):
        for element in page.find_all(attrs={attribute: True}):
            for ref in element[attribute].split():
                if ref not in ids:
                    _fail(f"{attribute}={ref!r} on <{element.name}> points at no element")
    for link in page.find_all("a", href=True):
        href = link["href"]
        if href.startswith("#") and len(href) > 1 and href[1:] not in ids:
            _fail(f"link to {href!r} points at no element")


def _check_forms(page: BeautifulSoup) -> None:
    for form in page.find_all("form"):
        if not form.get("action"):
            _fail(f"<form> without an action: {str(form)[:120]}")
        method = form.get("method", "get").lower()
        if method not in ("get", "post"):
            _fail(f"<form> with method {method!r}")


def _check_inline_code(page: BeautifulSoup, csp: str) -> None:
    """Inline scripts need this response's CSP nonce; inline styles are blocked by `style-src 'self'`."""
    match = NONCE.search(csp)
    nonce = match.group(1) if match else None
    for script in page.find_all("script"):
        if script.get("src"):
            continue
        if nonce is None or script.get("nonce") != nonce:
            _fail(f"inline <script> without this response's CSP nonce: {str(script)[:120]}")
    if page.find(attrs={"style": True}) or page.find("style"):
        _fail("inline styles are blocked by the Content Security Policy")

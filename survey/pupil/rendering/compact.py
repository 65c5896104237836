"""Smaller HTML for the pupil pages (each must stay under 15 KB for slow school Wi-Fi)."""

from __future__ import annotations

import re

_VERBATIM = re.compile(r"(<textarea\b.*?</textarea>|<pre\b.*?</pre>|<script\b.*?</script>)", re.S)
_BETWEEN_TAGS = re.compile(r">\s*\n\s*<")
_BLOCKS = "label|legend|div|p|button|li|ul|h1|h2|fieldset|form|main|header|footer|nav"
_AFTER_OPENING = re.compile(rf"(<(?:{_BLOCKS})\b[^>]*>)\s*\n\s*")
_BEFORE_CLOSING = re.compile(rf"\s*\n\s*(</(?:{_BLOCKS})>)")
_APOSTROPHE = re.compile(r">[^<]*&#39;[^<]*<")
_RADIOS_MODULE = ' data-module="govuk-radios"'
_PLAIN_BUTTON = re.compile(
    r'(<button\b(?:(?!role=|data-prevent-double-click)[^>])*?) data-module="govuk-button"'
)


def compact(html: str) -> str:
    """Smaller HTML that shows the same (every page must stay under 15 KB for slow school Wi-Fi):

    - whitespace with a line break between two tags goes (the GOV.UK Frontend components and the
      layout here put such pieces in flexbox or block boxes, where it never showed);
    - so does whitespace with a line break at the start or end of the text in a label, legend, div,
      paragraph, button and the like (CSS drops it at the start and end of a line anyway);
    - an apostrophe in text is written ' rather than &#39; (attributes are all in double quotes);
    - radios without conditional reveals lose GOV.UK Frontend's `govuk-radios` module, which only
      handles conditional reveals (routing here is done on the server), and <button>s lose its
      `govuk-button` module, which only acts on links with role="button" and on buttons with
      data-prevent-double-click.

    Text areas, <pre> and scripts are left exactly as they are.
    """
    pieces = _VERBATIM.split(html)
    for n in range(0, len(pieces), 2):  # the even pieces are outside text areas, <pre> and scripts
        piece = _BETWEEN_TAGS.sub("><", pieces[n])
        piece = _AFTER_OPENING.sub(r"\1", piece)
        piece = _BEFORE_CLOSING.sub(r"\1", piece)
        pieces[n] = _APOSTROPHE.sub(lambda m: m.group().replace("&#39;", "'"), piece)
    html = "".join(pieces)
    if _RADIOS_MODULE in html and "data-aria-controls" not in html:
        html = html.replace(_RADIOS_MODULE, "")
    return _PLAIN_BUTTON.sub(r"\1", html)

"""Free text: sentiment, themes from reviewable keyword lists, and redaction of personal details.

Free text comes from the separate ``free-text.csv`` export (``docs/data-format.md``): one row per
answer, in a ``text`` column, written by children and unredacted. Everything here works offline and
never raises on what a pupil typed: any string (control characters, emoji, right-to-left text,
Welsh diacritics, even lone surrogates), ``None`` or ``NaN`` is accepted.

* `sentiment` scores each text with TextBlob's default *pattern* analyser (its lexicon ships inside
  the package; no NLTK download is needed). It knows English only: Welsh texts mostly score 0.
  `tone` turns it into a label, but the label failed validation against people's labels of
  children's comments (`tone_agreement`: 44% agreement, needed 80%), so `TONE_VALIDATED` is False
  and no per-comment tone should be shown: show themes and the safeguarding flag.
* `themes` and `theme_matches` find our own keywords, per domain, in `THEMES`, read from the data
  files in ``analysis/data/themes/`` so that staff can review them. The ``safeguarding`` list is
  the one that most needs review: its matches are prompts for a trained person to read the text,
  not findings, and false positives ("we hit the ball") are expected. The risk check that raises
  a concern is `analysis.safeguarding.check`, with its own lists.
* `redact` and `redact_all` replace names, e-mail addresses, phone numbers, social handles and
  profile links, street addresses and postcodes, and NHS numbers with ``[name]``, ``[email]``,
  ``[phone]``, ``[handle]``, ``[address]`` and ``[nhs number]`` before texts are shown to anyone
  who does not need them whole. The rules live in `analysis.redaction` (see `redact`'s Notes) and
  are measured by ``python -m bench.redaction`` on labelled child-written comments. They are
  deliberately cautious: they rather hide a capitalised word that is not a name than show a name.

Nothing here tokenises with NLTK data (``punkt`` and the taggers cannot be downloaded here): words
are found with regular expressions.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import require_columns, require_frame
from .redaction import KEEP_CAPITALISED, TITLES, redact

__all__ = [
    "KEEP_CAPITALISED",
    "THEMES",
    "THEME_FILES",
    "TITLES",
    "TONE_VALIDATED",
    "load_themes",
    "redact",
    "redact_all",
    "sentiment",
    "theme_matches",
    "themes",
    "tone",
    "tone_agreement",
]

# Keyword lists: reviewable data files, one per theme, in analysis/data/themes/ (the syntax is in
# the README.md there). Reviewers change the lists without touching code.
THEME_FILES = Path(__file__).parent / "data" / "themes"


def load_themes(folder: Path | str = THEME_FILES) -> dict[str, tuple[str, ...]]:
    """Theme name → keywords, from the numbered ``.txt`` files of a folder.

    Each file ``NN-name.txt`` is the theme ``name``: one keyword per line; blank lines and lines
    starting with ``#`` are ignored. Themes come in the order of the file numbers.

    Examples
    --------
    >>> from analysis.text import load_themes
    >>> themes = load_themes()
    >>> list(themes)[:3], "want to die" in themes["safeguarding"]
    (['belonging', 'teachers', 'fairness'], True)
    """
    folder = Path(folder)
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise ValueError(f"no theme keyword files (*.txt) in {folder}")
    themes: dict[str, tuple[str, ...]] = {}
    for path in files:
        name = re.sub(r"^\d+-", "", path.stem)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(f"{path.name}: a theme file is named like 03-fairness.txt")
        if name in themes:
            raise ValueError(f"{path.name}: theme {name!r} has two files")
        lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
        keywords = tuple(line for line in lines if line and not line.startswith("#"))
        if not keywords:
            raise ValueError(f"{path.name}: theme {name!r} has no keywords")
        themes[name] = keywords
    return themes


THEMES: dict[str, tuple[str, ...]] = load_themes()

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_CONTRACTION = re.compile(r"(?:n't|'re|'ve|'ll|'m|'d)$", re.IGNORECASE)

# ------------------------------------------------------------------------------------------------
# Input handling: every public function accepts anything a CSV cell or a caller can hand over.
# ------------------------------------------------------------------------------------------------


def _as_text(value: object) -> str:
    """A cell as text: None, NaN and pd.NA become "", lone surrogates become U+FFFD, never raises."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:
        return ""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (a string built from broken UTF-16) cannot be stored or written out.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _as_list(texts: object) -> tuple[list[str], pd.Index]:
    """The texts as strings and the index the result should carry."""
    if isinstance(texts, pd.DataFrame):
        raise TypeError("pass one column of texts, e.g. frame['text'], not a whole DataFrame")
    if isinstance(texts, (str, bytes)) or texts is None or not isinstance(texts, Iterable):
        texts = [texts]
    if isinstance(texts, pd.Series):
        return [_as_text(v) for v in texts.tolist()], texts.index
    values = [_as_text(v) for v in texts]
    return values, pd.RangeIndex(len(values))


def _normalise(text: str) -> str:
    """Composed Unicode (a decomposed "ŵ" matches "ŵ") with straight apostrophes, for matching."""
    return unicodedata.normalize("NFC", text).translate(_APOSTROPHES)


# ------------------------------------------------------------------------------------------------
# Sentiment
# ------------------------------------------------------------------------------------------------


def sentiment(texts: Iterable[object] | pd.Series | str) -> pd.DataFrame:
    """Polarity and subjectivity of each text with TextBlob's pattern analyser.

    Parameters
    ----------
    texts : pandas.Series, iterable of str, or str
        The texts, e.g. ``free_text["text"]``. ``None``, ``NaN`` and blank texts give ``NaN``
        scores (no text is not a neutral text); anything else is converted with ``str``.

    Returns
    -------
    pandas.DataFrame
        One row per text, with the Series' index when a Series is given, and columns

        - ``polarity``: from −1 (negative) to 1 (positive), 0 when no word in the text is in the
          lexicon;
        - ``subjectivity``: from 0 (factual) to 1 (opinion).

    Notes
    -----
    The pattern lexicon (De Smedt & Daelemans, 2012) rates about 2,900 English adjectives and
    handles negation ("not good") and intensifiers ("very good"). It does not know Welsh, slang
    or sarcasm: use it to sort and sample texts for reading, not as a measure to publish.

    Examples
    --------
    >>> from analysis.text import sentiment
    >>> sentiment(["My teachers are great", "The toilets are disgusting", None])
       polarity  subjectivity
    0       0.8          0.75
    1      -1.0          1.00
    2       NaN           NaN
    """
    from textblob.en import sentiment as pattern_sentiment  # imports NLTK: slow, so only when used

    values, index = _as_list(texts)
    scores = np.full((len(values), 2), np.nan)
    for i, text in enumerate(values):
        if text.strip():
            polarity, subjectivity = pattern_sentiment(text)
            scores[i] = polarity, subjectivity
    return pd.DataFrame(scores, index=index, columns=["polarity", "subjectivity"])


TONES = ("positive", "neutral", "negative")
# Whether a per-comment tone label may be shown: only if `tone` agrees with people's labels on at
# least 80% of a labelled set of children's comments. Measured with `tone_agreement` on
# tests/data/child_comments.csv (201 comments written for it, 131 English and 70 Welsh): 43.8%
# overall (Cohen's kappa 0.18), 51.9% in English and 28.6% in Welsh (every Welsh comment comes out
# neutral), so no. Show themes and the safeguarding flag (`analysis.safeguarding.check`) instead.
# tests/analysis/test_text.py re-measures it.
TONE_VALIDATED = False
TONE_THRESHOLD = 0.1


def tone(texts: Iterable[object] | pd.Series | str, *, threshold: float = TONE_THRESHOLD) -> pd.Series:
    """A tone label per text from `sentiment`'s polarity: not validated, see `TONE_VALIDATED`.

    ``"positive"`` above ``threshold``, ``"negative"`` below ``-threshold``, else ``"neutral"``;
    missing for a missing or blank text.

    Examples
    --------
    >>> from analysis.text import tone
    >>> tone(["My teachers are great", "I want to die", "this school is sick"]).tolist()
    ['positive', 'neutral', 'negative']
    """
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be within 0–1, not {threshold!r}")
    polarity = sentiment(texts)["polarity"]
    labels = np.select([polarity > threshold, polarity < -threshold], ["positive", "negative"], "neutral")
    return pd.Series(labels, index=polarity.index, dtype=object).where(polarity.notna())


def tone_agreement(
    labelled: pd.DataFrame, *, text: str = "text", label: str = "tone", by: str | None = "language"
) -> pd.DataFrame:
    """How often `tone` agrees with people's labels, overall and by language.

    Parameters
    ----------
    labelled : pandas.DataFrame
        Comments with the ``text`` and a human ``label`` (``positive``, ``neutral`` or
        ``negative``), e.g. ``tests/data/child_comments.csv``.
    text, label : str
        Column names.
    by : str or None, default "language"
        Also report agreement for each value of this column.

    Returns
    -------
    pandas.DataFrame
        Rows ``"all"`` and one per ``by`` value, with ``comments``, ``agree`` (count) and
        ``agreement`` (share, 0–1), and Cohen's ``kappa`` (agreement beyond chance).
    """
    require_frame(labelled, "labelled")
    require_columns(labelled, [text, label, *([by] if by else [])], "the labelled comments")
    bad = sorted(set(labelled[label].dropna()) - set(TONES))
    if bad:
        raise ValueError(f"labels must be positive, neutral or negative, not {bad!r}")
    predicted = tone(labelled[text]).fillna("neutral")
    frame = pd.DataFrame({"group": "all", "truth": labelled[label], "predicted": predicted})
    parts = [frame]
    if by:
        parts.append(frame.assign(group=labelled[by].astype(str)))
    rows = []
    for group, part in pd.concat(parts).groupby("group", sort=False):
        agree = int((part["truth"] == part["predicted"]).sum())
        observed = agree / len(part)
        chance = sum((part["truth"] == t).mean() * (part["predicted"] == t).mean() for t in TONES)
        kappa = (observed - chance) / (1 - chance) if chance < 1 else float("nan")
        rows.append(
            {"group": group, "comments": len(part), "agree": agree, "agreement": observed, "kappa": kappa}
        )
    return pd.DataFrame(rows).set_index("group")


# ------------------------------------------------------------------------------------------------
# Themes
# ------------------------------------------------------------------------------------------------


def _keyword_pattern(keyword: str) -> str:
    keyword = _normalise(keyword.strip())
    parts: list[str] = []
    for char in keyword:
        if char.isspace():
            if not parts or parts[-1] != r"[\s\-‐‑]+":
                parts.append(r"[\s\-‐‑]+")
        elif char in "-‐‑":
            parts.append(r"[\s\-‐‑]?")
        elif char == "'":
            parts.append("'?")
        elif char == "*":
            parts.append(r"\w*")
        else:
            parts.append(re.escape(char))
    body = "".join(parts)
    letters = keyword.replace("*", "")
    if len(letters) > 1 and letters.isupper():
        body = f"(?-i:{body})"  # an acronym that is also a word ("SEND", "TA"): capitals only
    return rf"(?<!\w){body}(?!\w)"


@lru_cache(maxsize=64)
def _theme_regex(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern per theme; group ``k<i>`` is keyword ``i`` (for `theme_matches`)."""
    order = sorted(range(len(keywords)), key=lambda i: -len(keywords[i]))  # longest phrase first
    alternatives = [f"(?P<k{i}>{_keyword_pattern(keywords[i])})" for i in order]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _lexicon_of(lexicon: Mapping[str, Iterable[str]] | None) -> dict[str, tuple[str, ...]]:
    if lexicon is None:
        return dict(THEMES)
    if not isinstance(lexicon, Mapping):
        raise TypeError(f"lexicon must map theme names to keyword lists, not {type(lexicon).__name__}")
    checked: dict[str, tuple[str, ...]] = {}
    for theme, keywords in lexicon.items():
        if isinstance(keywords, str) or not isinstance(keywords, Iterable):
            raise TypeError(f"lexicon[{theme!r}] must be a list of keywords, not {keywords!r}")
        words = tuple(keywords)
        bad = [w for w in words if not isinstance(w, str) or not w.strip().rstrip("*").strip()]
        if bad:
            raise ValueError(f"lexicon[{theme!r}] has keywords that are not words: {bad!r}")
        if not words:
            raise ValueError(f"lexicon[{theme!r}] has no keywords")
        checked[str(theme)] = words
    if not checked:
        raise ValueError("lexicon has no themes")
    return checked


def themes(
    texts: Iterable[object] | pd.Series | str, *, lexicon: Mapping[str, Iterable[str]] | None = None
) -> pd.DataFrame:
    """Which themes each text mentions, by keyword lists per domain.

    Parameters
    ----------
    texts : pandas.Series, iterable of str, or str
        The texts. ``None``, ``NaN`` and anything not a string are accepted (no theme for a missing
        text).
    lexicon : mapping of str to list of str, optional
        Theme name → keywords, replacing `THEMES` (default). Keyword syntax as in `THEMES`:
        whole words in any case (a keyword in capitals, like ``"SEND"``, only in capitals),
        ``*`` at the end of a word for any ending, a space also matching hyphens, a hyphen also
        matching a space or nothing, an apostrophe optional.

    Returns
    -------
    pandas.DataFrame
        One row per text (the Series' index when a Series is given) and one boolean column per
        theme, in lexicon order: ``belonging``, ``teachers``, ``fairness``, ``bullying``,
        ``learning``, ``behaviour``, ``facilities``, ``clubs``, ``mental_health``,
        ``send_support`` and ``safeguarding`` by default.

    See Also
    --------
    theme_matches : which keyword matched, and where; use it to review the safeguarding flags.

    Notes
    -----
    Keyword matching is transparent and easy to correct, which matters more here than recall: a
    text can mention a theme in words no list has. Column sums give how many texts mention each
    theme; suppress counts under 10 before publishing them, as for any statistic.

    Examples
    --------
    >>> from analysis.text import themes
    >>> found = themes(["I got a detention for no reason", "Mae'r bwlio yn ddrwg", None])
    >>> found[["behaviour", "bullying", "fairness"]]
       behaviour  bullying  fairness
    0       True     False     False
    1      False      True     False
    2      False     False     False
    >>> themes(["We need more chess"], lexicon={"clubs": ["chess", "club*"]})
       clubs
    0   True
    """
    keywords = _lexicon_of(lexicon)
    values, index = _as_list(texts)
    normalised = [_normalise(text) for text in values]
    columns = {}
    for theme, words in keywords.items():
        search = _theme_regex(words).search
        columns[theme] = np.fromiter((search(t) is not None for t in normalised), bool, len(normalised))
    return pd.DataFrame(columns, index=index)


def theme_matches(
    texts: Iterable[object] | pd.Series | str, *, lexicon: Mapping[str, Iterable[str]] | None = None
) -> pd.DataFrame:
    """Every keyword match, one row each: for reviewing themes and safeguarding flags.

    Parameters
    ----------
    texts : pandas.Series, iterable of str, or str
        The texts, as for `themes`.
    lexicon : mapping of str to list of str, optional
        Theme name → keywords, replacing `THEMES` (default).

    Returns
    -------
    pandas.DataFrame
        Columns ``row`` (the text's index label), ``theme``, ``keyword`` (as written in the
        lexicon), ``match`` (the words in the text), ``start`` and ``end`` (character offsets in
        the text after Unicode NFC normalisation), in text order.

    Examples
    --------
    >>> from analysis.text import theme_matches
    >>> found = theme_matches(["He hit me and I'm scared to go home"])
    >>> found[["row", "theme", "keyword", "match"]]
       row          theme            keyword              match
    0    0   safeguarding                hit                hit
    1    0  mental_health             scared             scared
    2    0   safeguarding  scared to go home  scared to go home
    """
    keywords = _lexicon_of(lexicon)
    values, index = _as_list(texts)
    rows: list[tuple[object, str, str, str, int, int]] = []
    for label, text in zip(index, values, strict=True):
        normalised = _normalise(text)
        found_here = []
        for theme, words in keywords.items():
            for found in _theme_regex(words).finditer(normalised):
                keyword = words[int(found.lastgroup[1:])]  # type: ignore[index]
                found_here.append((label, theme, keyword, found.group(), found.start(), found.end()))
        rows.extend(sorted(found_here, key=lambda row: row[4]))
    return pd.DataFrame(rows, columns=["row", "theme", "keyword", "match", "start", "end"])


# ------------------------------------------------------------------------------------------------
# Redaction (the rules are in analysis.redaction)
# ------------------------------------------------------------------------------------------------


def redact_all(frame: pd.DataFrame, column: str = "text") -> pd.DataFrame:
    """A copy of `frame` with `redact` applied to every text in `column`.

    Parameters
    ----------
    frame : pandas.DataFrame
        For example the free-text export (``response_id, …, question_id, text``).
    column : str, default "text"
        The column to redact. Missing texts become ``""``.

    Returns
    -------
    pandas.DataFrame
        A new frame, same rows and columns, with `column` redacted (string dtype).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.text import redact_all
    >>> free_text = pd.DataFrame({"response_id": [1, 2], "text": ["Ask Mrs Price", None]})
    >>> redact_all(free_text)["text"].tolist()
    ['Ask Mrs [name]', '']
    """
    require_frame(frame, "frame")
    require_columns(frame, [column], "the free-text table")
    redacted = frame.copy()
    redacted[column] = pd.Series([redact(v) for v in frame[column].tolist()], index=frame.index, dtype="str")
    return redacted

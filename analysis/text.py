"""Free text: sentiment, themes from reviewable keyword lists, and redaction of personal details.

Free text comes from the separate ``free-text.csv`` export (``docs/data-format.md``): one row per
answer, in a ``text`` column, written by children and unredacted. Everything here works offline and
never raises on what a pupil typed: any string (control characters, emoji, right-to-left text,
Welsh diacritics, even lone surrogates), ``None`` or ``NaN`` is accepted.

* `sentiment` scores each text with TextBlob's default *pattern* analyser (its lexicon ships inside
  the package; no NLTK download is needed). It knows English only: Welsh texts mostly score 0.
* `themes` and `theme_matches` find our own keywords, per domain, in `THEMES`. The lists are plain
  Python so that staff can review them, and the ``safeguarding`` list is the one that most needs
  review: its matches are prompts for a trained person to read the text, not findings, and false
  positives ("we hit the ball") are expected.
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

import numpy as np
import pandas as pd

from ._checks import require_columns, require_frame
from .redaction import KEEP_CAPITALISED, TITLES, redact

__all__ = [
    "KEEP_CAPITALISED",
    "THEMES",
    "TITLES",
    "redact",
    "redact_all",
    "sentiment",
    "theme_matches",
    "themes",
]

# ------------------------------------------------------------------------------------------------
# Keyword lists. How a keyword matches:
#   - whole words only, whatever the case: "rule" matches "Rule" and "RULE" but not "rules";
#   - a keyword written in capitals matches only in capitals: "SEND" (the acronym), not "send";
#   - "*" at the end of a word matches any ending: "detention*" matches "detention",
#     "detentions"; "call* me names" matches "calling me names";
#   - a space matches any run of spaces or hyphens ("name calling" matches "name-calling"); a
#     hyphen also matches a space or nothing ("self-harm" matches "self harm" and "selfharm"); an
#     apostrophe may be curly or left out ("don't" matches "dont" and "don’t").
# Welsh keywords (marked cy) include the mutated forms pupils will write ("bwlio", "fwlio",
# "mwlio"); like the questionnaire's Welsh they need checking by a fluent speaker.
# ------------------------------------------------------------------------------------------------

THEMES: dict[str, tuple[str, ...]] = {
    "belonging": (
        "belong*", "fit in", "fitting in", "left out", "leave me out", "leaves me out", "lonely",
        "loneliness", "alone", "on my own", "no friends", "no one to talk to", "friend", "friends",
        "friendship*", "mates", "accepted", "included", "welcome*", "ignored", "ignore me",
        # cy: friend(s), belong, on my own
        "ffrind", "ffrindiau", "perthyn", "ar fy mhen fy hun",
    ),
    "teachers": (
        "teacher*", "staff", "adult", "adults", "sir", "mr", "mrs", "ms", "headteacher*",
        "head teacher*", "head of year", "tutor*", "form tutor*", "teaching assistant*", "TA",
        "TAs", "pastoral", "mentor*", "support staff", "dinner lady", "dinner ladies",
        # cy: teacher(s), head, adult(s)
        "athro", "athrawes", "athrawon", "pennaeth", "oedolyn", "oedolion",
    ),
    "fairness": (
        "fair", "unfair", "unfairly", "fairness", "rule", "rules", "favourite*", "favouritism",
        "treated differently", "treat us differently", "double standard*", "respect*",
        "disrespect*", "equal", "equally", "discriminat*", "racis*", "sexis*", "homophob*",
        "uniform",
        # cy: fair, unfair, rule(s), respect
        "teg", "annheg", "rheol", "rheolau", "parch",
    ),
    "bullying": (
        "bully", "bullies", "bullied", "bullying", "cyberbull*", "pick* on me", "picked on",
        "name calling", "call* me names", "call* us names", "call* me a", "calling names",
        "tease", "teased", "teases", "teasing", "laugh at me", "laughed at",
        "laughing at me", "threat*", "fight", "fights", "fighting", "fought", "unsafe", "not safe",
        "safe", "safety", "harass*", "push me", "pushed me", "shoved",
        # cy: bullying (with mutations), bully, safe (with mutation), unsafe
        "bwlio", "fwlio", "mwlio", "bwli", "bwlis", "diogel", "ddiogel", "anniogel",
    ),
    "learning": (
        "lesson*", "learn*", "homework", "classwork", "coursework", "exam", "exams", "test",
        "tests", "revision", "revise", "subject*", "curriculum", "gcse*", "a-level*", "explain*",
        "understand*", "boring", "too hard", "too easy", "catch up", "reading", "writing",
        # cy: lesson(s), learn/teach (with mutation), homework, exam(s), subject(s)
        "gwers", "gwersi", "dysgu", "ddysgu", "gwaith cartref", "arholiad*", "pwnc", "pynciau",
    ),
    "behaviour": (
        "sent out", "send me out", "sends me out", "sent home", "isolation", "isolation room*",
        "isolation booth*", "booth*", "internal exclusion*", "exclusion*", "excluded",
        "suspend*", "suspension*", "detention*", "removal room*", "reflection room*", "on report",
        "behaviour*", "behavior*", "sanction*", "punish*", "kicked out", "shouted at",
        "shouts at", "seclusion",
        # cy: exclude/exclusion, kept in, behaviour, punishment
        "gwahardd*", "cadw i mewn", "ymddygiad", "cosb*",
    ),
    "facilities": (
        "toilet*", "loo", "loos", "bathroom*", "food", "lunch*", "canteen", "dinner*",
        "breakfast", "water", "drinking water", "playground", "field", "building*", "classroom*",
        "heating", "freezing", "too hot", "library", "locker*", "chairs", "desks", "computer*",
        "laptop*", "wifi", "wi-fi", "changing room*", "queue*", "tuck shop", "school meals",
        # cy: toilet(s), food (with mutation), lunch (with mutation), canteen, water
        "toiled", "toiledau", "bwyd", "fwyd", "cinio", "ginio", "ffreutur", "dŵr",
    ),
    "clubs": (
        "club*", "after school", "after-school", "activit*", "sport*", "football", "netball",
        "rugby", "hockey", "cricket", "basketball", "dance", "dancing", "drama", "music", "choir",
        "band", "orchestra", "trip*", "residential*", "duke of edinburgh", "dofe", "team*",
        "extracurricular", "extra-curricular", "gym",
        # cy: club(s) (with mutation), sport, activities, trip(s), the Urdd, eisteddfod
        "clwb", "glwb", "clybiau", "chwaraeon", "gweithgaredd*", "taith", "tripiau", "urdd",
        "eisteddfod*",
    ),
    "mental_health": (
        "worry", "worried", "worries", "worrying", "anxious", "anxiety", "stress*",
        "mental health", "depress*", "sad", "sadness", "upset", "cry", "crying", "cried",
        "panic*", "overwhelm*", "wellbeing", "well-being", "counsell*", "camhs", "nervous",
        "scared", "feel down", "feeling down", "low mood", "self-esteem", "confidence",
        "eating disorder*",
        # cy: worry (with mutation), anxiety, mental health, sad (with mutation), stress
        "poeni", "boeni", "pryder*", "bryder*", "gorbryder*", "iechyd meddwl", "trist", "drist",
        "straen",
    ),
    "send_support": (
        "sen", "SEND", "aln", "ehcp", "ehc plan", "idp", "senco", "alnco", "dyslexi*",
        "dyspraxi*", "dyscalculia", "autis*", "adhd", "asd", "disab*", "special needs",
        "additional needs", "additional learning needs", "learning support", "support",
        "extra help", "one to one", "one-to-one", "teaching assistant*", "hearing aid*",
        "wheelchair*", "access arrangements", "extra time", "reasonable adjustment*", "sensory",
        "ear defenders", "time out card", "exit card", "neurodiver*", "learning difficult*",
        # cy: ALN (ADY), IDP (CDU), help/support (with mutations), disability, autism, dyslexia
        "ady", "anghenion dysgu ychwanegol", "cdu", "cymorth", "gymorth", "cefnogaeth",
        "gefnogaeth", "anabledd", "awtistiaeth", "dyslecsia",
    ),
    # Words suggesting a child may be at risk. Review this list with the designated safeguarding
    # lead; a match only means someone trained should read the text, today.
    "safeguarding": (
        "hurt", "hurts", "hurting", "hit", "hits", "hitting", "beat", "beats", "beaten",
        "beating", "kick", "kicks", "kicked", "kicking", "punch*", "slap*", "smack*", "bruise*",
        "scared to go home", "afraid to go home", "frightened to go home",
        "don't want to go home", "scared of my", "afraid of my", "frightened of my",
        "unsafe at home", "not safe at home", "self-harm*", "harm myself", "harming myself",
        "hurt myself", "hurting myself", "cut myself", "cutting myself", "kill myself",
        "killing myself", "suicid*", "want to die", "wanna die", "end my life", "end it all",
        "don't want to be alive", "don't want to live", "abuse*", "abusing", "abusive",
        "touched me", "touches me", "touching me", "inappropriate*", "sexual*", "rape*",
        "groom*", "nude*", "naked", "send pics", "older boyfriend", "older girlfriend",
        "no food", "hungry", "starving", "home alone", "nobody at home", "no one at home",
        "neglect*", "run away", "ran away", "running away", "runaway", "drug*", "alcohol",
        "drunk", "knife", "knives", "weapon*", "gang*", "county lines", "violence", "violent",
        "domestic", "threatened me", "young carer*", "forced marriage", "fgm", "extremis*",
        # cy: hurt, hit (with mutations), abuse, self-harm, suicide, afraid to go home, knife
        "brifo", "frifo", "mrifo", "taro", "daro", "nharo", "tharo", "cam-drin", "gam-drin",
        "hunan-niweidio", "hunanladdiad", "ofn mynd adref", "ofn mynd adre", "cyllell",
        "gyllell",
    ),
}  # fmt: skip

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


# ------------------------------------------------------------------------------------------------
# Themes
# ------------------------------------------------------------------------------------------------


def _keyword_pattern(keyword: str) -> str:
    keyword = _normalise(keyword.strip())
    parts = []
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

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
* `redact` and `redact_all` replace names, e-mail addresses, UK phone numbers, postcodes and street
  addresses with ``[name]``, ``[email]``, ``[phone]`` and ``[address]`` before texts are shown to
  anyone who does not need them whole. The rules are in `redact`'s Notes. They are deliberately
  cautious: they rather hide a capitalised word that is not a name than show a name.

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

# Titles: the word after one is a name ("Mr Smith", "Miss. Jones", "syr Huw").
TITLES: frozenset[str] = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "prof", "professor", "madam", "mister", "syr"}
)
# After these a lower-case word is taken as a name too ("mr smith"); "miss" and "sir" are also
# ordinary words ("I miss her"), so after them only a capitalised word is.
_CLEAR_TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr", "prof", "mister"})

# Capitalised words that are kept anywhere in a sentence. Anything capitalised that is not here,
# not sentence-initial and not written in capitals throughout is replaced by [name]. Keep this
# list to common words that cannot point to a person: subjects, days, months, languages,
# nationalities, ethnic groups and religions (fairness analysis needs them), festivals, apps.
KEEP_CAPITALISED: frozenset[str] = frozenset(
    word.lower()
    for word in (
        # everyday words and titles
        "I", "I'm", "I've", "I'll", "I'd", "Im", "Ive", "OK", "Ok", "Okay", "Lol", "Omg", "Idk",
        "Tbh", "Btw", "Yeah", "Yes", "No", "Hi", "Hello", "Thanks", "Please",
        "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Sir", "Prof", "Professor", "Madam", "Mister", "Syr",
        # days and months
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
        "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
        # school words and subjects
        "Year", "Yr", "Form", "Key", "Stage", "Sixth", "Reception", "Nursery", "School", "Head",
        "Headteacher", "Teacher", "Teachers", "English", "Maths", "Math", "Mathematics", "Science",
        "Sciences", "Biology", "Chemistry", "Physics", "History", "Geography", "Welsh", "Cymraeg",
        "French", "Spanish", "German", "Latin", "Mandarin", "Urdu", "Arabic", "Polish", "Art",
        "Drama", "Music", "Dance", "Computing", "Computer", "ICT", "IT", "RE", "RS", "PE", "PSHE",
        "PSE", "RSE", "RSHE", "DT", "Design", "Technology", "Food", "Textiles", "Business",
        "Economics", "Psychology", "Sociology", "Media", "Literature", "Language", "Languages",
        "Citizenship", "GCSE", "GCSEs", "SATs", "BTEC", "A-level", "A-levels", "Ofsted", "Estyn",
        "SEN", "SEND", "ALN", "ALNCo", "SENCO", "SENCo", "EHCP", "ADHD", "ASD", "CAMHS", "LGBT",
        "LGBTQ", "LGBTQIA", "TA", "TAs",
        # countries, nationalities, ethnic groups and religions (fairness analysis needs them)
        "UK", "England", "Wales", "Scotland", "Ireland", "Britain", "Europe", "London", "Cardiff",
        "British", "Irish", "Scottish", "Romanian", "Pakistani", "Indian", "Bangladeshi",
        "Chinese", "African", "Caribbean", "Somali", "Arab", "Turkish", "Portuguese", "Italian",
        "Lithuanian", "Ukrainian", "Syrian", "Afghan", "Kurdish", "Nigerian", "Black", "White",
        "Asian", "Mixed", "Gypsy", "Roma", "Traveller", "Travellers", "Muslim", "Muslims",
        "Christian", "Christians", "Jewish", "Jew", "Sikh", "Hindu", "Buddhist", "Islam",
        "Christianity", "Judaism", "Sikhism", "Hinduism", "Buddhism", "Atheist", "God", "Allah",
        "Jesus", "Bible", "Quran", "Qur'an",
        # festivals, apps and games
        "Christmas", "Easter", "Eid", "Ramadan", "Diwali", "Hanukkah", "Halloween", "Pride",
        "Google", "Instagram", "TikTok", "Snapchat", "YouTube", "WhatsApp", "Facebook", "Discord",
        "Xbox", "PlayStation", "Fortnite", "Minecraft", "Roblox", "Netflix", "Teams", "Zoom",
        "Covid", "Coronavirus", "Internet", "Wi-Fi",
    )
)  # fmt: skip

# Welsh words that often start a sentence: kept there though the English lexicon does not know
# them. (Welsh answers have few capitalised words otherwise.)
_WELSH_STARTERS = frozenset(
    word.lower()
    for word in (
        "A", "Ac", "Am", "Ar", "At", "Beth", "Bod", "Bob", "Bydd", "Byddai", "Cafodd", "Dan", "Does",
        "Dw", "Dwi", "Dydw", "Dydy", "Dyw", "Dylai", "Dylen", "Efallai", "Ei", "Ein", "Eu", "Fe", "Fi",
        "Fy", "Gall", "Gallai", "Gallwn", "Gan", "Gyda", "Hefyd", "Hoffwn", "Hoffen", "I", "Mae",
        "Mae'r", "Maen", "Mi", "Mewn", "Na", "Nac", "Nad", "Nes", "Nid", "Nhw", "Ni", "O", "Oedd",
        "Oes", "Oherwydd", "Ond", "Os", "Pam", "Pan", "Pawb", "Pe", "Pob", "Pryd", "Rwy", "Rwyf",
        "Rydw", "Rydyn", "Roedd", "Roeddwn", "Sut", "Ti", "Tra", "Weithiau", "Wedi", "Wrth", "Y", "Yn",
        "Yr", "Ysgol", "Diolch", "Dim", "Ydw", "Ydy", "Ydyn", "Ie", "Naddo", "Do",
    )
)  # fmt: skip

# After a clear title, a lower-case word is a name unless it is one of these ("mr is nice").
_NOT_NAMES_AFTER_TITLE = frozenset((
    "is", "was", "are", "were", "and", "or", "but", "the", "a", "an", "who", "has", "had", "have",
    "says", "said", "told", "tells", "gave", "gives", "will", "would", "can", "could", "does", "did",
    "do", "if", "to", "in", "at", "on", "of", "for", "with", "from", "always", "never",
))  # fmt: skip

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
# Redaction
# ------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+%'-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_.]*[A-Za-z0-9_]")
# UK numbers: 0 or +44/0044 (optionally "(0)"), then 9 or 10 digits with spaces, dashes, dots or
# brackets between them: 07700 900123, +44 7700 900123, (020) 7946 0958, 0161-496-0000.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)[ \t]?44[ \t]?(?:\(0\)[ \t]?)?\(?|\(?0)\d(?:[ \t\-.()]{0,2}\d){8,9}(?!\d)"
)
# Postcodes of the UK's 121 postcode areas (so "Y7 2nd" or "KS3 5th" are not postcodes).
_POSTCODE_AREAS = (
    "AB", "AL", "B", "BA", "BB", "BD", "BF", "BH", "BL", "BN", "BR", "BS", "BT", "BX", "CA", "CB", "CF",
    "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY", "E",
    "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP", "HR", "HS", "HU",
    "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "LA", "LD", "LE", "LL", "LN", "LS",
    "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW", "OL", "OX", "PA", "PE", "PH",
    "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK", "SL", "SM", "SN", "SO", "SP", "SR",
    "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR", "TS", "TW", "UB", "W", "WA", "WC", "WD",
    "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
)  # fmt: skip
_POSTCODE = re.compile(r"(?<!\w)([A-Z]{1,2})\d[A-Z\d]?[ \t]*\d[ABD-HJLNP-UW-Z]{2}(?!\w)", re.IGNORECASE)
_POSTCODE_AREA_SET = frozenset(_POSTCODE_AREAS)
_UPPER = "A-ZÀ-ÖØ-ÞŴŶŸ"
_CAP_WORD = rf"[{_UPPER}][\w'’\-]*"
_STREET_TYPES = (
    "Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Cl|Drive|Dr|Way|Crescent|Cres|Court|Ct|Place|Pl|"
    "Grove|Gardens|Gdns|Terrace|Terr|Hill|Park|Square|Sq|Walk|Row|Mews|Rise|View|Green|Parade|"
    "Vale|Meadows?|Fields|Estate|Heights|Gate|Wharf|Yard|Boulevard|Chase|Hollow|Path"
)
_WELSH_STREETS = "Heol|Ffordd|Stryd|Lôn|Lon|Rhodfa|Cilgant|Teras|Maes|Parc|Clos|Llys|Stad"
# "12 Oak Tree Road", "4a, Church St.", "3 Heol y Frenhines", and without a number the less
# ambiguous street types: "Oak Road", "Heol Fawr".
_ADDRESS = re.compile(
    rf"(?<!\w)\d{{1,4}}[A-Za-z]?,?[ \t]+(?:"
    rf"(?:{_CAP_WORD}[ \t]+){{1,3}}(?i:{_STREET_TYPES})(?!\w)\.?"
    rf"|(?i:{_WELSH_STREETS})(?:[ \t]+(?:y|yr|'r))?(?:[ \t]+{_CAP_WORD}){{1,2}})"
    rf"|(?<!\w)(?:{_CAP_WORD}[ \t]+){{1,3}}(?:Road|Street|Lane|Avenue|Close|Drive|Crescent|"
    rf"Terrace|Grove|Gardens|Mews)(?!\w)"
    rf"|(?<!\w)(?:Heol|Ffordd|Stryd|Lôn|Rhodfa|Cilgant)(?:[ \t]+(?:y|yr))?[ \t]+{_CAP_WORD}"
)
_STREET_WORDS = frozenset(f"{_STREET_TYPES}|{_WELSH_STREETS}".lower().replace("?", "").split("|")) | {
    "meadow"
}
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_SENTENCE_BREAK = re.compile(r"[.!?…。]|\n")
_TITLE_GAP = re.compile(r"\.?[ \t]+")
_NAME_RUN = re.compile(r"\[name\](?:[ \t]+\[name\])+")


@lru_cache(maxsize=1)
def _english_lexicon() -> dict[str, str]:
    """Word → part-of-speech tag from the Brill lexicon that TextBlob ships (no download)."""
    try:
        import textblob

        path = Path(textblob.__file__).parent / "en" / "en-lexicon.txt"
        lexicon: dict[str, str] = {}
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                parts = line.split()
                if len(parts) >= 2 and not line.startswith(";"):
                    lexicon.setdefault(parts[0], parts[1])
        return lexicon
    except Exception:  # pragma: no cover - TextBlob is a dependency, but fail soft, not open
        return {}


def _sentence_initial_name(word: str) -> bool:
    """Is a capitalised word at the start of a sentence a name? Decided with the English lexicon."""
    if _CONTRACTION.search(word.translate(_APOSTROPHES)):
        return False  # "Don't", "They're": not names
    lexicon = _english_lexicon()
    if not lexicon:
        return False
    if word.lower() in lexicon:
        return False  # an English word ("The", "Will", "Harry" as in to harry: see Notes)
    if word in lexicon:
        return lexicon[word].startswith("NNP")  # "Sarah", "Oliver"
    return True  # unknown to the lexicon: "Dafydd", "Aisha", or a misspelling; hide it


def _kept(lower: str) -> bool:
    if lower in KEEP_CAPITALISED or lower in TITLES:
        return True
    return lower.endswith("s") and lower[:-1] in KEEP_CAPITALISED  # "Mondays", "Christians"


def _redact_names(text: str) -> str:
    pieces: list[str] = []
    last = 0  # end of the text copied so far
    previous_end = 0
    first = True
    previous_title: str | None = None
    for found in _WORD.finditer(text):
        word = found.group()
        if previous_title is None and not word[0].isupper():
            # The common case, a lower-case word: only a title ("mr") matters for what follows.
            lower = word.lower()
            previous_title = lower if lower in TITLES else None
            previous_end = found.end()
            first = False
            continue
        gap = text[previous_end : found.start()]
        plain = word.translate(_APOSTROPHES)
        possessive = plain.lower().endswith("'s") and len(plain) > 2
        base = word[:-2] if possessive else word
        capitalised = word[0].isupper()
        if previous_title is not None and _TITLE_GAP.fullmatch(gap):
            is_name = capitalised or (
                previous_title in _CLEAR_TITLES and word.lower() not in _NOT_NAMES_AFTER_TITLE
            )
        elif not capitalised or _kept(base.lower()):
            is_name = False
        elif len(base) == 1 or (base.isupper() and len(base) > 1):
            is_name = False  # "grade A", and words in capitals (acronyms, shouting): see Notes
        elif first or _SENTENCE_BREAK.search(gap):
            is_name = base.lower() not in _WELSH_STARTERS and _sentence_initial_name(base)
        else:
            is_name = True
        if is_name:
            pieces.append(text[last : found.start()])
            pieces.append("[name]" + (word[len(base) :] if possessive else ""))
            last = found.end()
        previous_title = word.lower() if word.lower() in TITLES and not is_name else None
        previous_end = found.end()
        first = False
    if not pieces:
        return text
    pieces.append(text[last:])
    return _NAME_RUN.sub("[name]", "".join(pieces))


def redact(text: object) -> str:
    """Replace names, e-mail addresses, UK phone numbers and addresses in a text.

    Parameters
    ----------
    text : str
        What a pupil wrote. ``None`` and ``NaN`` give ``""``; other values are converted with
        ``str``. Never raises.

    Returns
    -------
    str
        The text with ``[email]``, ``[phone]``, ``[address]`` and ``[name]`` in place of what
        they replace; everything else is unchanged.

    Notes
    -----
    The rules, applied in this order:

    1. **E-mail addresses** → ``[email]``.
    2. **UK phone numbers** → ``[phone]``: a leading ``0``, ``+44`` or ``0044`` (optionally
       ``(0)``) then 9 or 10 digits, which may be split by spaces, dashes, dots or brackets.
    3. **Addresses** → ``[address]``: postcodes of the UK's postcode areas (any case, with or
       without the space); a house number, one to three capitalised words and a street type
       (Road, Street, Lane, Avenue, Close, Drive, Way, Court, …); a house number and a Welsh
       street word (Heol, Ffordd, Stryd, Lôn, …) with the words that follow; and, without a house
       number, capitalised words before Road, Street, Lane, Avenue, Close, Drive, Crescent,
       Terrace, Grove, Gardens or Mews, or after Heol, Ffordd, Stryd, Lôn, Rhodfa or Cilgant.
    4. **Social media handles** (``@name``) → ``[name]``.
    5. **Names** → ``[name]`` (a possessive keeps its ``'s``; adjacent names merge):

       - the word after a title (Mr, Mrs, Ms, Miss, Mx, Dr, Sir, Syr, Prof, …, with or without a
         full stop) when it is capitalised, and also when lower-case after Mr, Mrs, Ms, Mx, Dr or
         Prof ("mr smith");
       - any other capitalised word that does not start a sentence, unless it is in
         `KEEP_CAPITALISED` (subjects, days, months, languages, nationalities, ethnic groups,
         religions, festivals, apps), a title, a single letter, or written in capitals throughout;
       - a capitalised word that starts a sentence (the start of the text, or after ``.``, ``!``,
         ``?`` or a line break) when the English lexicon that ships with TextBlob tags it as a
         proper noun ("Sarah") or does not know it at all ("Dafydd"), unless it is a common
         Welsh sentence opening ("Mae", "Rydw").

    What slips through, by design or as a known limit: a name written in capitals throughout
    ("JAMES") or as a single initial; a sentence-initial name that is also an English word
    ("Will", "Mark", "Harry"); names written in lower case without a title ("jack hit me"); house
    numbers and street names in lower case. Unknown capitalised words (shops, places, teams) are
    hidden too: the rule errs on the side of the child. Review redacted texts before publishing
    any quotation, and never publish a quotation a small group could recognise.

    Examples
    --------
    >>> from analysis.text import redact
    >>> redact("Mr Jones shouted at me and Sarah. Email me at kid123@example.com")
    'Mr [name] shouted at me and [name]. Email me at [email]'
    >>> redact("I live at 12 Oak Tree Road, CF10 1AA, call 07700 900123")
    'I live at [address], [address], call [phone]'
    >>> redact("I love Maths and Welsh on Mondays with miss Evans")
    'I love Maths and Welsh on Mondays with miss [name]'
    >>> redact(None)
    ''
    """
    value = _as_text(text)
    if not value:
        return ""
    if "@" in value:
        value = _EMAIL.sub("[email]", value)
    if _DIGIT.search(value):
        value = _PHONE.sub("[phone]", value)
        value = _POSTCODE.sub(_postcode, value)
    if not _STREET_WORDS.isdisjoint(word.lower() for word in _WORD.findall(value)):
        value = _ADDRESS.sub("[address]", value)
    if "@" in value:
        value = _HANDLE.sub("[name]", value)
    return _redact_names(value)


def _postcode(found: re.Match[str]) -> str:
    return "[address]" if found.group(1).upper() in _POSTCODE_AREA_SET else found.group()


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

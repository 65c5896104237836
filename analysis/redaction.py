"""Redaction of what identifies a child in what they wrote.

`redact` replaces names, e-mail addresses, phone numbers, social media handles and profile links,
street addresses and postcodes, and NHS numbers with ``[name]``, ``[email]``, ``[phone]``,
``[handle]``, ``[address]`` and ``[nhs number]``. It is written for children's writing, in English
and Welsh: lower-case names ("my name is jack smith"), nicknames, spelled-out contacts ("jack dot
smith at gmail dot com"), handles after the app's name ("insta jack_smith_10"), addresses without
capitals ("flat 3, 22 high street"). Places and shops stay ("Caerdydd", "Co-op").

Measured on a labelled set of 343 child-written comments (`tests/data/redaction_comments.jsonl`)
by `python -m bench.redaction`; the figures are in SECURITY.md.

Pure Python: the English lexicon TextBlob ships (no download) and the given-name and surname lists
Faker ships. No network, no model.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from . import _identifying_words as words

__all__ = ["KEEP_CAPITALISED", "TITLES", "identifying_spans", "redact"]

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
PLACEHOLDERS = {"name": "[name]", "email": "[email]", "phone": "[phone]", "handle": "[handle]",
                "address": "[address]", "nhs_number": "[nhs number]"}  # fmt: skip
Span = tuple[int, int, str]  # start, end, kind

# ------------------------------------------------------------------------------------------------
# Contacts: e-mail addresses, phone numbers, NHS numbers
# ------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+%'-]+@[\w-]+(?:\.[\w-]+)+")
# Written out so a filter will not see them: "jack dot smith at gmail dot com", "jack(at)gmail.com".
_DOT = r"(?:[ \t]*(?:\.|\(dot\)|\[dot\]|\{dot\})[ \t]*|[ \t]+dot[ \t]+)"
_AT = r"(?:[ \t]*(?:@|\(at\)|\[at\]|\{at\})[ \t]*|[ \t]+at[ \t]+)"
_TLD = r"(?:com|co|uk|org|net|cymru|wales|io|me|edu|gov|sch|info|ac|ie)"
_MAIL_HOSTS = r"(?:gmail|googlemail|hotmail|outlook|yahoo|icloud|btinternet|protonmail|hwbcymru)"
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.])[\w+-]+(?:{_DOT}[\w+-]+)*{_AT}(?:{_MAIL_HOSTS}(?:{_DOT}{_TLD})*|[\w-]+(?:{_DOT}{_TLD})+)(?!\w)",
    re.IGNORECASE,
)
# UK numbers: 0 or +44/0044 (optionally "(0)"), then 9 or 10 digits with spaces, dashes, dots or
# brackets between them: 07700 900123, 0 7 7 0 0 9 0 0 1 2 3, +44 7700 900123, (020) 7946 0958.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)[ \t]?44[ \t]?(?:\(0\)[ \t]?)?\(?|\(?0)(?:[ \t\-.()]{0,3}\d){9,10}(?!\d)"
)
# Digits written with the letter o ("o7700 9oo 222") are read as digits.
_O_FOR_ZERO = re.compile(r"(?<![^\W\d_])[\doO]*\d[\doO]*(?![^\W\d_])")
_NUMBER_WORDS = (
    "zero|oh|o|nought|one|two|three|four|five|six|seven|eight|nine|double|triple|"
    "dim|un|dau|dwy|tri|tair|pedwar|pedair|pump|chwech|saith|wyth|naw|dwbl"
)
_SPELLED_PHONE = re.compile(
    rf"(?<!\w)(?:zero|oh|o|nought|dim|0)(?:[ \t,\-]+(?:{_NUMBER_WORDS}|\d)(?!\w)){{9,}}", re.IGNORECASE
)
# A number after "number", "call", "rhif"...: 9 to 11 digits, whatever they start with.
_ASKED_PHONE = re.compile(
    r"(?i:number|no|phone|mobile|mob|call|ring|text|whatsapp|rhif|ffonia|ffôn|ffon)\b[^\d\n]{0,20}?"
    r"(?<!\d)(\d(?:[ \t\-.]{0,2}\d){8,10})(?!\d)"
)
_NHS = re.compile(r"(?<![\d+])(\d{3})[ \t\-]?(\d{3})[ \t\-]?(\d{4})(?!\d)")
_NHS_CONTEXT = re.compile(r"(?i:\bnhs\b|\bgig\b|iechyd|health)[^\n]{0,30}$")


def _nhs_checksum_ok(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return check != 10 and (check % 11) == int(digits[9])


def _contacts(text: str) -> list[Span]:
    spans: list[Span] = []
    if "@" in text or re.search(r"(?i)\bat\b|\(at\)|\[at\]", text):
        spans += [(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
        spans += [(m.start(), m.end(), "email") for m in _SPELLED_EMAIL.finditer(text)]
    if not re.search(r"\d", text) and not _SPELLED_PHONE.search(text):
        return spans
    for m in _NHS.finditer(text):
        digits = "".join(m.groups())
        context = bool(_NHS_CONTEXT.search(text[: m.start()]))
        if context or (digits[0] != "0" and _nhs_checksum_ok(digits)):
            spans.append((m.start(), m.end(), "nhs_number"))
    digitised = _O_FOR_ZERO.sub(lambda m: m.group().replace("o", "0").replace("O", "0"), text)
    spans += [(m.start(), m.end(), "phone") for m in _PHONE.finditer(digitised)]
    spans += [(m.start(), m.end(), "phone") for m in _SPELLED_PHONE.finditer(text)]
    spans += [(m.start(1), m.end(1), "phone") for m in _ASKED_PHONE.finditer(digitised)]
    return spans


# ------------------------------------------------------------------------------------------------
# Handles and profile links
# ------------------------------------------------------------------------------------------------

_AT_HANDLE = re.compile(r"(?<![\w@])@[\w.]*\w")
_DISCORD_TAG = re.compile(r"(?<![\w#])[\w.]{2,32}#\d{4}(?!\w)")
_UNDERSCORED = re.compile(r"(?<![\w@])[^\W_][\w.]*_[\w.]*(?<![._])(?!\w)")
_PROFILE_URL = re.compile(
    r"(?i)(?:https?://)?(?:www\.|m\.|vm\.)?(?:instagram|tiktok|snapchat|facebook|fb|twitter|x|youtube|"
    r"youtu|twitch|discord|roblox|steamcommunity|threads|pinterest|reddit|tumblr|spotify)"
    r"\.(?:com|gg|be|net|tv)/[^\s,;)]*[\w/]"
)
_HANDLE_TOKEN = re.compile(r"[@\w][\w.#'’@]*|[:=\-]")
_PLATFORM = re.compile(
    r"(?i)(?<!\w)(?:" + "|".join(sorted(words.PLATFORMS, key=len, reverse=True)) + r")(?!\w)"
)


def _looks_like_handle(token: str) -> bool:
    return bool(re.search(r"[\d_.#@]", token)) or any(c.isupper() for c in token[1:])


def _handles(text: str) -> list[Span]:
    spans = [(m.start(), m.end(), "handle") for m in _PROFILE_URL.finditer(text)]
    spans += [(m.start(), m.end(), "handle") for m in _AT_HANDLE.finditer(text)]
    spans += [(m.start(), m.end(), "handle") for m in _DISCORD_TAG.finditer(text)]
    spans += [(m.start(), m.end(), "handle") for m in _UNDERSCORED.finditer(text)]
    for platform in _PLATFORM.finditer(text):
        marked = False  # "is", ":" or "name" seen: the next word is the handle whatever it is
        for token in _HANDLE_TOKEN.finditer(text, platform.end()):
            if "\n" in text[platform.end() : token.start()] or token.start() - platform.end() > 40:
                break
            word = token.group().rstrip(".")
            lower = word.lower()
            if lower in words.HANDLE_FILLERS or lower in words.PLATFORMS:
                marked = marked or lower in {"is", ":", "yw", "ydy", "name", "username", "tag", "-", "="}
                continue
            if _looks_like_handle(word) or (marked and not _is_common(lower)):
                spans.append((token.start(), token.start() + len(word), "handle"))
            break
    return spans


# ------------------------------------------------------------------------------------------------
# Addresses
# ------------------------------------------------------------------------------------------------

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
_LOWER_WORD = r"[^\W\d_][\w'’\-]*"
# "14 oak road", "flat 2b, 9 station road", "number 7 church lane", "no. 5 elm close", in any case.
_NUMBERED_STREET = re.compile(
    rf"(?<!\w)(?:(?:number|no\.?|num|rhif)[ \t]*)?\d{{1,4}}[a-z]?,?[ \t]+((?:{_LOWER_WORD}[ \t]+){{1,3}}?)"
    rf"(?:{_STREET_TYPES})(?!\w)\.?",
    re.IGNORECASE,
)
_FLAT = re.compile(r"(?<!\w)(?i:flat|fflat|apartment|apt|unit)[ \t]*\d{1,4}[a-z]?(?!\w)")
_WELSH_NUMBERED = re.compile(
    rf"(?<!\w)(?:rhif[ \t]*)?\d{{1,4}}[a-z]?,?[ \t]+(?:{_WELSH_STREETS})"
    rf"(?:[ \t]+(?:y|yr))?[ \t]+{_LOWER_WORD}",
    re.IGNORECASE,
)
# Without a number, after "live on", "along", "byw ar": "i live on oak road", "byw ar stryd fawr".
_NAMED_STREET = re.compile(
    rf"(?<!\w)(?:on|along|down|up|off|near|past|byw[ \t]+ar|byw[ \t]+yn)[ \t]+"
    rf"((?:{_LOWER_WORD}[ \t]+){{1,2}}(?:road|street|lane|avenue|close|drive|crescent|terrace|grove|gardens)"
    rf"|(?:heol|ffordd|stryd|lôn)(?:[ \t]+(?:y|yr))?[ \t]+{_LOWER_WORD})(?!\w)",
    re.IGNORECASE,
)
_NOT_STREET_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "his",
        "her",
        "our",
        "their",
        "your",
        "this",
        "that",
        "these",
        "those",
        "to",
        "of",
        "in",
        "on",
        "at",
        "and",
        "or",
        "but",
        "down",
        "up",
        "main",
        "busy",
        "big",
        "long",
        "same",
        "next",
        "other",
        "dirt",
        "back",
        "side",
        "wrong",
        "right",
        "one",
        "two",
        "bus",
        "cycle",
        "fast",
        "slow",
        "y",
        "yr",
        "ar",
        "yn",
        "i",
    ]
)


def _street_words_ok(found: re.Match[str], *, numbered: bool) -> bool:
    named = found.group(1).split()
    if numbered and named and named[0].lower() == "the":
        named = named[1:]  # "21 the crescent", but not "down the road"
    return not any(w.lower() in _NOT_STREET_NAMES for w in named)


def _addresses(text: str) -> list[Span]:
    spans: list[Span] = []
    if re.search(r"\d", text):
        spans += [
            (m.start(), m.end(), "address")
            for m in _POSTCODE.finditer(text)
            if m.group(1).upper() in _POSTCODE_AREA_SET
        ]
        spans += [(m.start(), m.end(), "address") for m in _FLAT.finditer(text)]
        spans += [
            (m.start(), m.end(), "address")
            for m in _NUMBERED_STREET.finditer(text)
            if _street_words_ok(m, numbered=True)
        ]
        spans += [(m.start(), m.end(), "address") for m in _WELSH_NUMBERED.finditer(text)]
    spans += [
        (m.start(1), m.end(1), "address")
        for m in _NAMED_STREET.finditer(text)
        if _street_words_ok(m, numbered=False)
    ]
    if not _STREET_WORDS.isdisjoint(w.lower() for w in _WORD.findall(text)):
        spans += [(m.start(), m.end(), "address") for m in _ADDRESS.finditer(text)]
    return spans


# ------------------------------------------------------------------------------------------------
# Names
# ------------------------------------------------------------------------------------------------

_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_SENTENCE_BREAK = re.compile(r"[.!?…。]|\n")
_TITLE_GAP = re.compile(r"\.?[ \t]+")
_SPACE = re.compile(r"[ \t]+")
# Words a name never is, whatever came before ("my name is not important").
_NEVER_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "not",
        "no",
        "very",
        "so",
        "really",
        "too",
        "and",
        "or",
        "but",
        "is",
        "was",
        "are",
        "on",
        "in",
        "at",
        "of",
        "to",
        "for",
        "with",
        "it",
        "this",
        "that",
        "like",
        "just",
        "also",
        "here",
        "there",
        "private",
        "secret",
        "hidden",
        "nothing",
        "none",
        "nobody",
        "somebody",
        "someone",
        "what",
        "me",
        "my",
        "you",
        "your",
        "him",
        "her",
        "his",
        "them",
        "they",
        "we",
        "us",
        "our",
        "i",
        "yn",
        "ac",
        "a",
        "ar",
        "i",
        "fi",
        "ti",
        "ni",
        "nhw",
    ]
)
# Part-of-speech tags of English words that are never someone's name on their own ("will", "may").
_FUNCTION_TAGS = ("MD", "IN", "DT", "CC", "PRP", "WDT", "WP", "WRB", "TO", "EX", "PDT", "RP", "CD")


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


@lru_cache(maxsize=1)
def _people_names() -> tuple[frozenset[str], frozenset[str]]:
    """Lower-case given names and surnames: Faker's English-speaking lists, and Welsh ones."""
    first = set(words.WELSH_FIRST_NAMES) | set(words.NICKNAMES) | set(words.CHILDREN_NAMES)
    last = set(words.WELSH_SURNAMES)
    try:
        from importlib import import_module

        for locale in ("en_GB", "en_US", "en_IE", "en_IN", "en_PK", "en_NG"):
            provider = import_module(f"faker.providers.person.{locale}").Provider
            for attribute in ("first_names", "first_names_male", "first_names_female"):
                first.update(n.lower() for n in getattr(provider, attribute, ()) if isinstance(n, str))
            last.update(n.lower() for n in getattr(provider, "last_names", ()) if isinstance(n, str))
    except ImportError:  # pragma: no cover - Faker is a dependency; without it only the Welsh lists
        pass
    return frozenset(first), frozenset(last)


def _is_common(lower: str) -> bool:
    """An ordinary English or Welsh word (so lower case, it is not taken as a name on its own)."""
    return (
        lower in _english_lexicon()
        or lower in words.WELSH_WORDS
        or lower in _WELSH_STARTERS
        or lower in _NEVER_NAMES
        or lower in KEEP_CAPITALISED
    )


def _is_given_name(lower: str) -> bool:
    return lower in _people_names()[0] and lower not in _NEVER_NAMES


def _is_surname(lower: str) -> bool:
    return lower in _people_names()[1] and lower not in _NEVER_NAMES


def _function_word(lower: str) -> bool:
    return _english_lexicon().get(lower, "").startswith(_FUNCTION_TAGS) or lower in _NEVER_NAMES


_MUTATIONS = (("ngh", "c"), ("mh", "p"), ("nh", "t"), ("ng", "g"), ("ch", "c"), ("ph", "p"), ("th", "t"),
              ("dd", "d"), ("m", "b"), ("n", "d"), ("g", "c"), ("b", "p"), ("d", "t"), ("f", "b"), ("f", "m"),
              ("l", "ll"), ("r", "rh"), ("h", ""))  # fmt: skip


def _radicals(lower: str) -> set[str]:
    """The word and what it may be before a Welsh mutation ("nghaerdydd" → "caerdydd")."""
    found = {lower}
    if lower[:1] in "aeiouwlyâêîôûŵŷ":
        found.add("g" + lower)  # a dropped g: "Lan-llyn" → "Glan-llyn"
    for mutated, radical in _MUTATIONS:
        if lower.startswith(mutated):
            found.add(radical + lower[len(mutated) :])
    return found


def _place_or_shop(lower: str) -> bool:
    if lower in words.PLACES or lower in words.SHOPS or lower in words.WELSH_CAPITALISED:
        return True
    return any(r in words.PLACES for r in _radicals(lower))


def _kept(lower: str) -> bool:
    if lower in KEEP_CAPITALISED or lower in TITLES or _place_or_shop(lower):
        return True
    return lower.endswith("s") and lower[:-1] in KEEP_CAPITALISED  # "Mondays", "Christians"


def _sentence_initial_name(word: str) -> bool:
    """Is a capitalised word at the start of a sentence a name? Decided with the English lexicon."""
    if _CONTRACTION.search(word.translate(_APOSTROPHES)):
        return False  # "Don't", "They're": not names
    lexicon = _english_lexicon()
    if not lexicon:
        return False
    if word.lower() in lexicon:
        return False  # an English word ("The", "Will", "Jack"): other rules look at what follows
    if word in lexicon:
        return lexicon[word].startswith("NNP")  # "Sarah", "Oliver"
    return True  # unknown to the lexicon: "Dafydd", "Aisha", or a misspelling; hide it


_TRIGGERS = tuple(tuple(t.split()) for t in words.NAME_TRIGGERS)


class _Word:
    __slots__ = ("base", "capital", "end", "lower", "name", "start", "text")

    def __init__(self, found: re.Match[str]) -> None:
        self.start, self.end, self.text = found.start(), found.end(), found.group()
        plain = self.text.translate(_APOSTROPHES)
        possessive = plain.lower().endswith("'s") and len(plain) > 2
        self.lower = plain.lower()
        self.base = self.lower[:-2] if possessive else self.lower
        self.capital = self.text[0].isupper()
        self.name = False


def _names(text: str, taken: list[Span]) -> list[Span]:
    found = [_Word(m) for m in _WORD.finditer(text)]
    found = [w for w in found if not any(s < w.end and w.start < e for s, e, _ in taken)]
    if not found:
        return []

    def joined(i: int) -> bool:  # word i follows word i - 1 with only spaces between
        return i > 0 and bool(_SPACE.fullmatch(text[found[i - 1].end : found[i].start]))

    def title_before(i: int) -> str | None:
        if (
            i > 0
            and found[i - 1].lower in TITLES
            and _TITLE_GAP.fullmatch(text[found[i - 1].end : found[i].start])
        ):
            return found[i - 1].lower
        return None

    # 1. Each word on its own: capitals, titles, and given names that are no English or Welsh word.
    # What the reader of the redacted text will see: each replaced span reads as a word.
    shown = list(text)
    for start, end, _ in taken:
        shown[start:end] = ["x"] + [""] * (end - start - 1)
    for i, w in enumerate(found):
        gap = "".join(shown[found[i - 1].end : w.start] if i else shown[: w.start])
        title = title_before(i)
        if title is not None and not found[i - 1].name:
            if w.capital:
                w.name = True
            elif title in _CLEAR_TITLES:
                w.name = w.lower not in _NOT_NAMES_AFTER_TITLE
            else:  # "miss jones", "syr dafydd"; not "i miss my mum"
                w.name = (_is_surname(w.base) or _is_given_name(w.base)) and not _is_common(w.base)
        elif _kept(w.base) or _kept(w.lower):
            continue
        elif w.capital:
            if len(w.base) == 1 or (w.text.isupper() and len(w.base) > 1):
                continue  # "grade A", and words in capitals (acronyms, shouting)
            after_last_word = re.split(r"\w", gap)[-1]  # a placeholder is a word
            if _SENTENCE_BREAK.search(after_last_word) or (i == 0 and not re.search(r"\w", gap)):
                w.name = w.base not in _WELSH_STARTERS and _sentence_initial_name(w.base)
            else:
                w.name = True
        else:
            plural = w.base.endswith("s") and _is_given_name(w.base[:-1])  # "jacobs brother"
            w.name = (_is_given_name(w.base) or w.base in words.NICKNAMES or plural) and not _is_common(
                w.base
            )

    # 2. Context: "my name is X", "my sister X", "X hit me", "X and Y", "X Smith", "Charlie B".
    for _ in range(2):
        for i, w in enumerate(found):
            if w.name or _kept(w.base) or _kept(w.lower) or w.base in _NEVER_NAMES:
                continue
            ambiguous = _is_given_name(w.base) and not _function_word(w.base)
            before = tuple(x.lower for x in found[max(0, i - 4) : i])
            for trigger in _TRIGGERS:
                n = len(trigger)
                if before[-n:] == trigger and all(joined(j) for j in range(i - n + 1, i + 1)):
                    weak = " ".join(trigger) in words.WEAK_TRIGGERS
                    if _function_word(w.base):
                        break  # "call me four eyes", "my name is not..."
                    if not weak or ambiguous or w.base in words.NICKNAMES or not _is_common(w.base):
                        w.name = True
                    break
            if w.name:
                continue
            previous = found[i - 1] if i and joined(i) else None
            following = found[i + 1] if i + 1 < len(found) and joined(i + 1) else None
            if (
                (ambiguous and previous is not None and previous.lower in words.RELATIONS)
                or (ambiguous and following is not None and following.lower in words.ACTIONS)
                or (
                    ambiguous
                    and (
                        (
                            previous is not None
                            and previous.lower in ("and", "a", "&")
                            and i > 1
                            and found[i - 2].name
                        )
                        or (
                            following is not None
                            and following.lower in ("and", "a")
                            and i + 2 < len(found)
                            and found[i + 2].name
                        )
                    )
                )
            ):
                w.name = True
            elif (
                previous is not None
                and previous.name
                and title_before(i - 1) is None
                and (
                    (_is_surname(w.base) and not _function_word(w.base))
                    or (len(w.base) == 1 and w.lower not in ("i", "a"))
                )
            ):
                w.name = True  # "jack smith", "Charlie B"
            elif w.capital and following is not None and following.name and ambiguous:
                w.name = True  # "Jack Smith" at the start of a sentence
            elif (
                w.base in ("lil", "big")
                and following is not None
                and (
                    len(following.base) == 1
                    or following.base in words.NICKNAMES
                    or _is_given_name(following.base)
                )
            ):
                w.name = following.name = True  # "lil j", "big mo"
    # A possessive keeps its "'s": "[name]'s idea".
    return [(w.start, w.end - (len(w.lower) - len(w.base)), "name") for w in found if w.name]


# ------------------------------------------------------------------------------------------------
# Putting it together
# ------------------------------------------------------------------------------------------------


def _as_text(value: object) -> str:
    from .text import _as_text as as_text

    return as_text(value)


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """Earlier detectors win; of overlapping spans the longest is kept."""
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if chosen and span[0] < chosen[-1][1]:
            continue
        chosen.append(span)
    return chosen


def identifying_spans(text: object) -> list[Span]:
    """Where `text` says who someone is: ``(start, end, kind)``, sorted, not overlapping.

    Kinds: ``name``, ``email``, ``phone``, ``handle``, ``address``, ``nhs_number``.
    """
    value = _as_text(text)
    if not value:
        return []
    spans = _without_overlaps(_handles(value) + _contacts(value))
    spans = _without_overlaps(spans + [s for s in _addresses(value) if not _overlaps(s, spans)])
    return _merged(value, _without_overlaps(spans + _names(value, spans)))


def _merged(text: str, spans: list[Span]) -> list[Span]:
    """Join neighbours of a kind: "jack smith" is one name, "flat 3, 22 high street" one address."""
    merged: list[Span] = []
    for start, end, kind in spans:
        if merged and merged[-1][2] == kind:
            gap = text[merged[-1][1] : start]
            if re.fullmatch(r"[ \t]*" if kind == "name" else r"[ \t]*(?:,[ \t]*)?", gap):
                merged[-1] = (merged[-1][0], end, kind)
                continue
        merged.append((start, end, kind))
    return merged


def _overlaps(span: Span, spans: list[Span]) -> bool:
    return any(s < span[1] and span[0] < e for s, e, _ in spans)


def redact(text: object) -> str:
    """Replace what identifies someone in a text: names, contacts, handles, addresses, NHS numbers.

    Parameters
    ----------
    text : str
        What a pupil wrote. ``None`` and ``NaN`` give ``""``; other values are converted with
        ``str``. Never raises.

    Returns
    -------
    str
        The text with ``[name]``, ``[email]``, ``[phone]``, ``[handle]``, ``[address]`` and
        ``[nhs number]`` in place of what they replace (adjacent ones of a kind merge); everything
        else is unchanged.

    Notes
    -----
    - **E-mail addresses**, also written out: "jack dot smith at gmail dot com", "jack(at)gmail.com".
    - **Phone numbers**: a leading ``0``, ``+44`` or ``0044`` then 9 or 10 digits, split by spaces,
      dashes, dots or brackets as a child likes ("0 7 7 0 0 ..."), an ``o`` for a zero, digits
      spelled out in English or Welsh, and 9 to 11 digits after "number", "call", "rhif".
    - **NHS numbers**: 10 digits (3-3-4) with a valid check digit, or after "NHS" or "GIG".
    - **Handles and profile links**: ``@name``, ``name#1234``, words with an underscore, the word
      after an app's name ("insta jack_smith_10", "my snap is ellie.xo"), profile URLs.
    - **Addresses**: postcodes; a house or flat number and a street, in any case ("flat 3, 22 high
      street", "14 oak road", "22 heol y parc"); a street after "live on", "along", "byw ar".
    - **Names**: capitalised words that do not start a sentence, unless they are everyday words
      kept anywhere (`KEEP_CAPITALISED`: subjects, days, languages, groups, religions, apps) or
      places and shops ("Caerdydd", "yng Nghaerdydd", "Co-op"); the word after a title ("Miss
      jones", "mr smith"); a sentence-initial word the English lexicon calls a proper noun or does
      not know; lower-case given names that are no English or Welsh word ("oliver", "aisha") and
      nicknames ("jonno"); and, from context, any word after "my name is", "called", "fy enw i
      yw", a given name that is also a word before "said", "hit", "told"... ("mark said"), after
      "my sister", beside another name ("ruby and amber"), a surname after a name ("jack smith"),
      and an initial after a name ("Charlie B").

    What slips through, by design or as a known limit: a name written in capitals throughout
    ("JAMES"); a lower-case nickname without a cue ("gaz" is known, "bigman" is not); a given
    name that is also an English word with no cue ("grace helped me"). A capitalised word nobody
    listed (a team, a band, a celebrity) is hidden: the rule errs on the side of the child.
    Review redacted texts before publishing any quotation, and never publish a quotation a small
    group could recognise.

    Examples
    --------
    >>> from analysis.text import redact
    >>> redact("Mr Jones shouted at me and Sarah. Email me at kid123@example.com")
    'Mr [name] shouted at me and [name]. Email me at [email]'
    >>> redact("my name is jack smith, insta jack_smith_10, i live at flat 3, 22 high street")
    'my name is [name], insta [handle], i live at [address]'
    >>> redact("we went to Caerdydd and the Co-op with miss evans")
    'we went to Caerdydd and the Co-op with miss [name]'
    >>> redact(None)
    ''
    """
    value = _as_text(text)
    if not value:
        return ""
    pieces: list[str] = []
    last = 0
    for start, end, kind in identifying_spans(value):
        pieces += [value[last:start], PLACEHOLDERS[kind]]
        last = end
    return "".join(pieces) + value[last:]

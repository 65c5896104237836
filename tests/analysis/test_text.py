"""Free text: sentiment, keyword themes and redaction never fail on what a child typed."""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis import redaction
from analysis import text as free_text
from analysis.text import (
    THEME_FILES,
    THEMES,
    TONE_VALIDATED,
    load_themes,
    redact,
    redact_all,
    sentiment,
    theme_matches,
    themes,
    tone,
    tone_agreement,
)

# Any Unicode: control characters, emoji, right-to-left text, combining marks, Welsh diacritics,
# and lone surrogates (category Cs), which a broken UTF-16 source can hand over.
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200)
MIXED = st.lists(
    st.sampled_from(
        [
            "Mr",
            "Sarah",
            "Smith",
            "hit",
            "me",
            "07700 900123",
            "+44",
            "CF10 1AA",
            "12",
            "Oak",
            "Road",
            "Heol",
            "y",
            "Frenhines",
            "kid@example.com",
            "@kid_99",
            ".",
            "\n",
            "ŵ",
            "Siân",
            "😀",
            "\u202e",
            "\u05e9\u05dc\u05d5\u05dd",
            "\x00",
            "\t",
            "'",
            "’s",
            "(0)",
            "-",
            "[name]",
        ]
    ),
    max_size=30,
).map(" ".join)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------------------------
# Sentiment
# ------------------------------------------------------------------------------------------------


def test_sentiment_scores_positive_and_negative_texts():
    scores = sentiment(["My teachers are really kind and helpful", "The toilets are horrible"])
    assert list(scores.columns) == ["polarity", "subjectivity"]
    assert scores.loc[0, "polarity"] > 0 > scores.loc[1, "polarity"]
    assert ((scores["subjectivity"] >= 0) & (scores["subjectivity"] <= 1)).all()


def test_sentiment_handles_negation():
    good, not_good = sentiment(["lessons are good", "lessons are not good"])["polarity"]
    assert good > 0 > not_good


def test_sentiment_of_missing_or_blank_text_is_nan_not_neutral():
    scores = sentiment([None, float("nan"), pd.NA, "", "   "])
    assert scores.isna().all().all()


def test_sentiment_keeps_the_series_index():
    texts = pd.Series(["great", None], index=[101, 205], name="text")
    scores = sentiment(texts)
    assert list(scores.index) == [101, 205]
    assert math.isnan(scores.loc[205, "polarity"])


def test_sentiment_of_a_single_string_is_one_row():
    assert len(sentiment("I love school")) == 1


def test_sentiment_of_welsh_is_neutral_not_missing():
    scores = sentiment(["Mae'r athrawon yn garedig"])
    assert scores.loc[0, "polarity"] == 0.0


def test_sentiment_rejects_a_whole_frame():
    with pytest.raises(TypeError, match="one column"):
        sentiment(pd.DataFrame({"text": ["a"]}))


@FAST
@given(st.lists(ANY_TEXT | st.none() | st.just(float("nan")), max_size=5))
def test_sentiment_never_raises(texts):
    scores = sentiment(texts)
    assert len(scores) == len(texts)
    present = scores["polarity"].dropna()
    assert ((present >= -1) & (present <= 1)).all()


# ------------------------------------------------------------------------------------------------
# Themes
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("I have no friends here", "belonging"),
        ("I feel left out at break", "belonging"),
        ("Mae fy ffrindiau yn neis", "belonging"),
        ("sir never listens", "teachers"),
        ("The TA helps me", "teachers"),
        ("the rules are unfair", "fairness"),
        ("Mae'r rheolau yn annheg", "fairness"),
        ("I got bullied in year 7", "bullying"),
        ("They call me names", "bullying"),
        ("Stop people calling me names about my family.", "bullying"),
        ("there is a lot of name-calling", "bullying"),
        ("they keep picking on me", "bullying"),
        ("Mae llawer o fwlio", "bullying"),  # soft mutation of bwlio
        ("Lessons are boring", "learning"),
        ("too much homework", "learning"),
        ("I was sent out of class", "behaviour"),
        ("three DETENTIONS this week", "behaviour"),
        ("isolation booths are cruel", "behaviour"),
        ("the toilets are locked at lunch", "facilities"),
        ("Mae'r bwyd yn oer", "facilities"),
        ("more after-school clubs please", "clubs"),
        ("I worry about exams all the time", "mental_health"),
        ("my anxiety is bad", "mental_health"),
        ("I need SEND support", "send_support"),
        ("my EHCP is ignored", "send_support"),
        ("I have dyslexia", "send_support"),
        ("my dad hits me", "safeguarding"),
        ("I'm scared to go home", "safeguarding"),
        ("I dont want to go home", "safeguarding"),  # apostrophe left out
        ("I don’t want to go home", "safeguarding"),  # curly apostrophe
        ("I self harm", "safeguarding"),
        ("I self-harm", "safeguarding"),
        ("selfharm", "safeguarding"),
        ("I want to  kill myself", "safeguarding"),  # two spaces
        ("mae e'n fy nharo i", "safeguarding"),  # nasal mutation of taro
        ("Mae gen i ofn mynd adref", "safeguarding"),
    ],
)
def test_theme_is_found(text, theme):
    found = themes([text])
    assert found.loc[0, theme], f"{theme!r} not found in {text!r}"


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("white shirts", "safeguarding"),  # "hit" inside a word
        ("a hitchhiker", "safeguarding"),
        ("send me the link", "send_support"),  # "SEND" only in capitals
        ("the ruler broke", "fairness"),  # "rule" and "rules", not "ruler"
        ("I miss my old school", "teachers"),  # "miss" is not a keyword: too ambiguous
        ("Mae'r ysgol yn deg", "fairness"),  # "deg" is also "ten": not a keyword
    ],
)
def test_theme_needs_a_whole_word(text, theme):
    assert not themes([text]).loc[0, theme]


def test_themes_columns_follow_the_lexicon_and_the_index():
    found = themes(pd.Series(["bullied", None], index=["a", "b"]))
    assert list(found.columns) == list(THEMES)
    assert list(found.index) == ["a", "b"]
    assert found.dtypes.eq(bool).all()
    assert not found.loc["b"].any()


def test_themes_match_decomposed_welsh_letters():
    decomposed = unicodedata.normalize("NFD", "does dim dŵr yn y tap")
    assert decomposed != "does dim dŵr yn y tap"
    assert themes([decomposed]).loc[0, "facilities"]


def test_themes_take_a_custom_lexicon():
    found = themes(["We need a chess club", "nothing"], lexicon={"chess": ["chess"], "clubs": ["club*"]})
    assert list(found.columns) == ["chess", "clubs"]
    assert found["chess"].tolist() == [True, False]


@pytest.mark.parametrize(
    ("lexicon", "error", "message"),
    [
        (["bullying"], TypeError, "must map theme names"),
        ({"x": "bully"}, TypeError, "must be a list of keywords"),
        ({"x": []}, ValueError, "has no keywords"),
        ({"x": ["ok", "  "]}, ValueError, "not words"),
        ({}, ValueError, "no themes"),
    ],
)
def test_themes_explain_a_bad_lexicon(lexicon, error, message):
    with pytest.raises(error, match=message):
        themes(["text"], lexicon=lexicon)


def test_theme_matches_say_which_keyword_matched_where():
    found = theme_matches(pd.Series(["He hit me. I'm scared to go home", "fine"], index=[7, 8]))
    safeguarding = found[found.theme == "safeguarding"]
    assert safeguarding["keyword"].tolist() == ["hit", "scared to go home"]
    assert safeguarding["row"].tolist() == [7, 7]
    first = safeguarding.iloc[0]
    assert "He hit me. I'm scared to go home"[first.start : first.end] == "hit"
    assert list(found.columns) == ["row", "theme", "keyword", "match", "start", "end"]


def test_theme_matches_of_nothing_is_an_empty_table():
    assert theme_matches([None, ""]).empty


def test_every_keyword_is_reviewable_and_compiles():
    for theme, keywords in THEMES.items():
        assert keywords, theme
        assert len(set(keywords)) == len(keywords), f"{theme} repeats a keyword"
        for keyword in keywords:
            assert keyword == keyword.strip()
            assert keyword.lower() == keyword or keyword.isupper() or keyword == "TAs", keyword
            re.compile(free_text._keyword_pattern(keyword))


def test_safeguarding_list_covers_the_core_words():
    keywords = set(THEMES["safeguarding"])
    assert {"hurt", "hit", "scared to go home", "self-harm*", "suicid*", "abuse*"} <= keywords


@FAST
@given(st.lists(ANY_TEXT | st.none() | st.integers(), max_size=5))
def test_themes_never_raise(texts):
    found = themes(texts)
    assert found.shape == (len(texts), len(THEMES))
    theme_matches(texts)


# ------------------------------------------------------------------------------------------------
# Redaction
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # names after titles, in any case, with or without a full stop
        ("Mr Jones is kind", "Mr [name] is kind"),
        ("Mr. Jones is kind", "Mr. [name] is kind"),
        ("mr jones is kind", "mr [name] is kind"),
        ("mrs. jones is kind", "mrs. [name] is kind"),
        ("ask Miss Evans", "ask Miss [name]"),
        ("ask miss evans", "ask miss [name]"),  # a known surname after "miss"
        ("I miss my friends", "I miss my friends"),
        ("sir is nice", "sir is nice"),
        ("Dr Patel and Mrs O'Brien-Smith", "Dr [name] and Mrs [name]"),
        ("Mr English teaches us", "Mr [name] teaches us"),  # allowlisted word, but after a title
        ("Mr J said no", "Mr [name] said no"),
        # capitalised words that are not sentence-initial
        ("me and Tom and Ben", "me and [name] and [name]"),
        ("I sit with Dafydd", "I sit with [name]"),
        ("I told Siân and Llŷr", "I told [name] and [name]"),
        ("Tom Smith hit me", "[name] hit me"),  # adjacent names merge
        ("it was Sarah's idea", "it was [name]'s idea"),
        ("we went to Tesco", "we went to Tesco"),  # shops and places stay
        ("we went to Thornbury Wood", "we went to [name]"),  # unknown words are hidden
        # sentence-initial words: names by the lexicon, English and Welsh words kept
        ("Sarah hit me.", "[name] hit me."),
        ("Dafydd is kind", "[name] is kind"),
        ("Lessons are fine. Oliver is mean", "Lessons are fine. [name] is mean"),
        ("hello\nJake is mean", "hello\n[name] is mean"),
        ("The teachers are kind", "The teachers are kind"),
        ("Don't shout. They're nice", "Don't shout. They're nice"),
        ("Mae'r athrawon yn neis. Rydw i'n hapus", "Mae'r athrawon yn neis. Rydw i'n hapus"),
        # kept anywhere: subjects, days, languages, groups, acronyms, capitals, single letters
        ("I like Maths, English and Welsh on Mondays", "I like Maths, English and Welsh on Mondays"),
        ("Black and Muslim pupils get picked on", "Black and Muslim pupils get picked on"),
        ("I'm in Year 9 with my TA and SENCO", "I'm in Year 9 with my TA and SENCO"),
        ("I HATE SCHOOL", "I HATE SCHOOL"),
        ("I got grade A in Science", "I got grade A in Science"),
        # e-mail, handles, phones
        ("mail tom.smith+x@school.example.org now", "mail [email] now"),
        ("find me @kid_99 on insta", "find me [handle] on insta"),
        ("call 07700 900123", "call [phone]"),
        ("call 07700900123.", "call [phone]."),
        ("call +44 7700 900123", "call [phone]"),
        ("call +447700900123", "call [phone]"),
        ("call 0044 7700 900 123", "call [phone]"),
        ("call +44 (0)20 7946 0958", "call [phone]"),
        ("call (020) 7946 0958", "call [phone]"),
        ("call 0161-496-0000", "call [phone]"),
        ("call 01632 960123", "call [phone]"),
        # postcodes and addresses
        ("I live in CF10 1AA", "I live in [address]"),
        ("I live in cf101aa", "I live in [address]"),
        ("near SW1A 1AA today", "near [address] today"),
        ("12 Oak Tree Road", "[address]"),
        ("at 4a, Church St. now", "at [address] now"),
        ("at 27 Station road", "at [address]"),
        ("I live on Oak Road", "I live on [address]"),
        ("3 Heol y Frenhines, Caerdydd", "[address], Caerdydd"),
        ("I live on Heol Fawr", "I live on [address]"),
        # things that look a bit like them but are not
        ("In Y7 2nd term and KS3 5th lesson", "In Y7 2nd term and KS3 5th lesson"),
        ("I got 3 detentions on the road", "I got 3 detentions on the road"),
        ("in 2024 we had 30 pupils and 1000000 points", "in 2024 we had 30 pupils and 1000000 points"),
        ("my score was 07 out of 10", "my score was 07 out of 10"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, pd.NA, ""])
def test_redact_missing_is_empty(value):
    assert redact(value) == ""


def test_redact_other_values_as_text():
    assert redact(12) == "12"
    assert redact(b"Mr Jones") == "Mr [name]"


def test_redact_repairs_lone_surrogates():
    redacted = redact("Mr Jones \ud800 hi")
    assert redacted == "Mr [name] \ufffd hi"
    redacted.encode("utf-8")


@FAST
@given(ANY_TEXT | MIXED)
@example("\u202eMr Cohen \u05e9\u05dc\u05d5\u05dd 😀 \x00 dŵr")
@example("Mr\x0b\x0bJones")
def test_redact_always_returns_writable_text(value):
    redacted = redact(value)
    assert isinstance(redacted, str)
    redacted.encode("utf-8")  # no lone surrogates: a CSV or Parquet writer accepts it


@FAST
@given(ANY_TEXT | MIXED)
def test_redact_leaves_no_capitalised_non_initial_word_unless_allowed(value):
    redacted = redact(value)
    words = list(redaction._WORD.finditer(redacted))
    for previous, word in itertools.pairwise(words):
        gap = redacted[previous.end() : word.start()]
        token = word.group()
        if not token[0].isupper() or redaction._SENTENCE_BREAK.search(gap):
            continue
        base = token[:-2] if token.translate(redaction._APOSTROPHES).lower().endswith("'s") else token
        allowed = (
            redaction._kept(base.lower())
            or redaction._kept(token.lower())
            or len(base) == 1
            or base.isupper()
        )
        assert allowed, f"{token!r} left in {redacted!r}"


@FAST
@given(
    st.sampled_from(["07", "+44 7", "+447", "0044 7", "(07"]),
    st.lists(st.integers(0, 9), min_size=9, max_size=9),
    st.lists(st.sampled_from(["", "", " ", "-"]), min_size=9, max_size=9),
    st.sampled_from(["", ".", " ok", ", bye"]),
)
def test_redact_hides_any_uk_mobile_number(prefix, digits, separators, after):
    number = prefix + "".join(sep + str(d) for sep, d in zip(separators, digits, strict=True))
    redacted = redact(f"ring me on {number}{after}")
    assert redacted == f"ring me on [phone]{after}"


@FAST
@given(
    st.from_regex(r"[a-z0-9][a-z0-9._]{0,10}", fullmatch=True),
    st.from_regex(r"[a-z0-9]{1,10}(\.[a-z]{2,5}){1,2}", fullmatch=True),
)
def test_redact_hides_any_plain_email(local, domain):
    assert redact(f"email {local}@{domain} please") == "email [email] please"


def test_redact_all_redacts_one_column_of_a_copy():
    frame = pd.DataFrame(
        {"response_id": [1, 2, 3], "text": ["Ask Mrs Price", None, "call 07700 900123"]}, index=[10, 11, 12]
    )
    redacted = redact_all(frame)
    assert redacted["text"].tolist() == ["Ask Mrs [name]", "", "call [phone]"]
    assert list(redacted.index) == [10, 11, 12]
    assert frame.loc[10, "text"] == "Ask Mrs Price"  # the original is unchanged
    assert redacted["response_id"].tolist() == [1, 2, 3]


def test_redact_all_other_column():
    frame = pd.DataFrame({"comment": ["Mr Jones"]})
    assert redact_all(frame, column="comment")["comment"].tolist() == ["Mr [name]"]


def test_redact_all_explains_a_missing_column():
    with pytest.raises(ValueError, match="the free-text table has no column 'text'"):
        redact_all(pd.DataFrame({"comment": ["x"]}))


def test_redact_all_needs_a_frame():
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        redact_all(["Mr Jones"])


@FAST
@given(st.lists(ANY_TEXT | st.none(), min_size=1, max_size=5))
def test_redact_all_output_can_be_written(tmp_path_factory, texts):
    frame = pd.DataFrame({"response_id": range(len(texts)), "text": pd.Series(texts, dtype=object)})
    redacted = redact_all(frame)
    folder = tmp_path_factory.mktemp("redacted")
    redacted.to_parquet(folder / "free-text.parquet")
    redacted.to_csv(folder / "free-text.csv", index=False)


# ------------------------------------------------------------------------------------------------
# Tone: validated against people's labels before any label may be shown
# ------------------------------------------------------------------------------------------------

LABELLED = Path(__file__).parents[1] / "data" / "child_comments.csv"


def test_labelled_set_is_large_enough_and_bilingual():
    labelled = pd.read_csv(LABELLED)
    assert len(labelled) >= 200
    assert set(labelled["language"]) == {"en", "cy"}
    assert set(labelled["tone"]) == {"positive", "neutral", "negative"}
    assert labelled["text"].is_unique


def test_tone_labels_are_shown_only_if_they_agree_with_people_80_percent_of_the_time():
    agreement = tone_agreement(pd.read_csv(LABELLED))
    assert agreement.loc["all", "comments"] >= 200
    assert bool(agreement.loc["all", "agreement"] >= 0.8) is TONE_VALIDATED
    # What the validation found: the analyser misreads children's English and knows no Welsh.
    assert agreement.loc["all", "agreement"] == pytest.approx(0.438, abs=0.005)
    assert agreement.loc["cy", "agreement"] < 0.35


def test_the_tone_failures_the_issue_found_are_in_the_labelled_set():
    labelled = pd.read_csv(LABELLED).set_index("text")
    for text, truth in [("I want to die", "negative"), ("this school is sick", "positive"),
                        ("Dw i'n caru fy ysgol", "positive")]:  # fmt: skip
        assert labelled.loc[text, "tone"] == truth
        assert tone([text]).iloc[0] != truth


def test_tone_agreement_explains_a_bad_label():
    with pytest.raises(ValueError, match="positive, neutral or negative"):
        tone_agreement(pd.DataFrame({"text": ["hi"], "tone": ["happy"], "language": ["en"]}))


# ------------------------------------------------------------------------------------------------
# The keyword lists are data files
# ------------------------------------------------------------------------------------------------


def test_theme_lists_are_read_from_the_data_files():
    files = sorted(THEME_FILES.glob("*.txt"))
    assert [f.stem.split("-", 1)[1] for f in files] == list(THEMES)
    assert load_themes() == THEMES
    assert "want to die" in THEMES["safeguarding"] and "eisiau marw" in THEMES["safeguarding"]


def test_a_theme_file_without_keywords_is_refused(tmp_path):
    (tmp_path / "01-empty.txt").write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"01-empty\.txt: theme 'empty' has no keywords"):
        load_themes(tmp_path)

"""The safeguarding risk check: its keyword files, its matching rules, and its figures on the
labelled disclosures and ordinary comments in tests/data (what bench/safeguarding_flags.py prints)."""

from __future__ import annotations

import pytest

from analysis import safeguarding
from analysis.safeguarding import check, keyword_lists
from testing.safeguarding_sets import figures, held_out, labelled


def test_the_labelled_sets_are_big_enough_and_in_both_languages():
    sets = labelled()
    for name in ("disclosures", "ordinary"):
        assert len(sets[name]) >= 150
        assert {language for language, _ in sets[name]} == {"en", "cy"}


def test_at_least_95_percent_of_disclosures_and_at_most_10_percent_of_ordinary_comments_are_flagged():
    found = figures()
    flagged, total = found["disclosures"]["all"]
    assert flagged / total >= 0.95
    flagged, total = found["ordinary"]["all"]
    assert flagged / total <= 0.10
    for language in ("en", "cy"):  # neither language is carried by the other
        flagged, total = found["disclosures"][language]
        assert flagged / total >= 0.95, language


def test_held_out_figures_are_printed_not_tuned_away():
    sets = held_out()
    assert len(sets["disclosures"]) >= 20 and len(sets["ordinary"]) >= 20


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("He PUNCHES me", "punch* me"),
        ("I’m scared to even go home", "scared ... go home"),
        ("i dont want to go home", "don't want to go home"),
        ("I have been self harming", "self-harm*"),
        ("Mae fy llystad yn fy nharo i", "nharo"),
    ],
)
def test_matching_rules(text, keyword):
    assert keyword in [m.keyword for m in check(text)]


@pytest.mark.parametrize("text", ["", None, 3.5, "We hit the ball in rounders", "\udcff lone surrogate"])
def test_ordinary_or_odd_input_is_not_flagged_and_never_raises(text):
    assert check(text) == []


def test_every_keyword_is_under_a_theme(tmp_path, monkeypatch):
    for language in ("en", "cy"):
        themes = keyword_lists(language)
        assert themes and all(words for words in themes.values())
    (tmp_path / "safeguarding_en.txt").write_text("hit me\n[Theme]\n", encoding="utf-8")
    monkeypatch.setattr(safeguarding, "DATA", tmp_path)
    with pytest.raises(ValueError, match="line 1: a keyword before the first"):
        keyword_lists("en")
    with pytest.raises(ValueError, match="no safeguarding keywords for language"):
        keyword_lists("fr")

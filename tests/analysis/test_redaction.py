"""Redaction on children's writing: the labelled comments meet the target, and each known miss is fixed.

The labelled sets are in tests/data (written for this project, English and Welsh); the figures per
kind and per candidate come from `python -m bench.redaction`.
"""

from __future__ import annotations

import pytest

from analysis.redaction import identifying_spans
from analysis.text import redact
from testing.redaction_scoring import DATA, HELD_OUT, KINDS, evaluate, load


@pytest.mark.parametrize("path", [DATA, HELD_OUT], ids=["development set", "held-out set"])
def test_the_labelled_comments_meet_the_target(path):
    rows = load(path)
    scores = evaluate(redact, rows)
    assert scores.recall() >= 0.95, scores.misses
    assert scores.clean_lost_share() <= 0.05, scores.losses


def test_the_labelled_set_is_large_enough_and_covers_every_kind_in_both_languages():
    rows = load(DATA)
    assert len(rows) >= 300
    assert {r["lang"] for r in rows} == {"en", "cy"}
    kinds = {kind for r in rows for _, _, kind in r["spans"]}
    assert kinds == set(KINDS)
    welsh = {kind for r in rows if r["lang"] == "cy" for _, _, kind in r["spans"]}
    assert welsh == set(KINDS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # each miss the issue lists
        ("my name is jack smith", "my name is [name]"),
        ("Jack Smith told me", "[name] told me"),
        ("Miss jones is kind", "Miss [name] is kind"),
        ("jack dot smith at gmail dot com", "[email]"),
        ("email jack.smith(at)gmail.com now", "email [email] now"),
        ("ring 07700 900 123 or 0 7 7 0 0 9 0 0 1 2 3", "ring [phone] or [phone]"),
        ("insta jack_smith_10", "insta [handle]"),
        ("discord: jack#1234", "discord: [handle]"),
        ("see instagram.com/jack_smith_10 and https://www.tiktok.com/@jack", "see [handle] and [handle]"),
        ("i live at flat 3, 22 high street", "i live at [address]"),
        ("my nhs number is 485 777 3456", "my nhs number is [nhs number]"),
        ("fy rhif GIG yw 9434765919", "fy rhif GIG yw [nhs number]"),
        # ... and what it over-redacted: places and shops stay
        ("we went to Caerdydd and the Co-op", "we went to Caerdydd and the Co-op"),
        ("dw i'n byw yng Nghaerdydd ac es i i Fangor", "dw i'n byw yng Nghaerdydd ac es i i Fangor"),
        ("me and my mates go to McDonald's and Greggs", "me and my mates go to McDonald's and Greggs"),
        # lower-case names, nicknames, Welsh
        ("me and oliver got in trouble", "me and [name] got in trouble"),
        ("people call me shaz", "people call me [name]"),
        ("my sister poppy and her friend lily", "my sister [name] and her friend [name]"),
        ("mark said i was stupid", "[name] said i was stupid"),
        ("ruby and amber are my friends", "[name] and [name] are my friends"),
        ("its Charlie B here", "its [name] here"),
        ("fy enw i yw cerys", "fy enw i yw [name]"),
        ("mae bachgen o'r enw deio yn cas", "mae bachgen o'r enw [name] yn cas"),
        # obfuscated contacts
        ("my email is poppyh at hotmail dot co dot uk", "my email is [email]"),
        ("noah[at]icloud[dot]com", "[email]"),
        ("my number is o7700 9oo 222", "my number is [phone]"),
        ("zero seven seven zero zero nine zero zero three three three", "[phone]"),
        # addresses in lower case, and a Welsh one
        ("i live on oak road near the shop", "i live on [address] near the shop"),
        ("we moved to 3 heol y parc", "we moved to [address]"),
    ],
)
def test_each_known_miss_is_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "i miss my mum when i am at school",
        "I walk 2 miles down the road to school",
        "we had a party at school and i will go next year",
        "mae'r eira yn braf ond roedd hi'n haf poeth",
        "we went to Tenby and Barry Island in the summer",
        "i got 3 detentions on the road",
        "sir is nice",
    ],
)
def test_ordinary_sentences_are_left_alone(text):
    assert redact(text) == text


def test_spans_say_where_and_what():
    text = "my name is jack smith, call 07700 900123"
    assert [(text[s:e], kind) for s, e, kind in identifying_spans(text)] == [
        ("jack smith", "name"),
        ("07700 900123", "phone"),
    ]

"""The release pipeline's arithmetic: every table and school-level frame staff pages can show,
worked out once from a snapshot of complete responses. Runs in the worker, never in a web request.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select

import analysis

from ..extensions import db
from ..models import Answer, Response, ResponseStatus, School, Wave
from . import areas, compare, disproportionality, store, summary
from .labels import GROUP_IDS, level_options, lost_learning_questions
from .policy import MIN_N
from .scored import Results
from .tables import REVIEWER_TABLES, SCHOOL_TABLES, key, kind, representativeness
from .tables.base import SchoolFigures
from .tables.scales import benchmarks as wave_benchmarks

ADJUSTMENTS = ("raw", "contextualised")

Items = Iterator[tuple[tuple[str, str], Any]]


@dataclass(frozen=True)
class Carry:
    """What a release carries over from the previous one: a school that is not re-released keeps
    its previous figures (its tables, trend and comments) exactly, byte for byte."""

    previous: int | None
    changed: frozenset[tuple[int, int]]  # (school id, wave id) re-released in this release

    def keeps_school(self, school_id: int) -> bool:
        """For what spans a school's waves (trend, comments): nothing of the school changed."""
        return self.previous is not None and all(school != school_id for school, _ in self.changed)

    def keeps(self, school_id: int, wave_ids) -> bool:
        return self.previous is not None and not any((school_id, w) in self.changed for w in wave_ids)

    def kept(self, kind: str, keys: dict[str, bool]) -> dict[str, store.Kept]:
        """The previous release's payloads for the keys marked True."""
        wanted = [key for key, keep in keys.items() if keep]
        if self.previous is None or not wanted:
            return {}
        return {k: store.Kept(v) for k, v in store.payloads(self.previous, kind, wanted).items()}

    def kept_items(self, wanted: dict[tuple[str, str], bool]) -> dict[tuple[str, str], store.Kept]:
        """`kept` for (kind, key) items of several kinds."""
        by_kind: dict[str, dict[str, bool]] = {}
        for (kind_, key_), keep in wanted.items():
            by_kind.setdefault(kind_, {})[key_] = keep
        return {(k, key_): v for k, keys in by_kind.items() for key_, v in self.kept(k, keys).items()}


NOTHING_KEPT = Carry(None, frozenset())


def questionnaire_items(results: Results, carry: Carry = NOTHING_KEPT) -> Items:
    """Everything published about one questionnaire's responses in the snapshot."""
    questionnaire = results.questionnaire
    q = questionnaire.id
    schools = {s.urn: s for s in db.session.scalars(select(School))}
    waves = results.waves[results.waves["wave_id"].isin(results.scored["wave_id"].unique())]
    yield (
        ("questionnaire", q),
        {
            "version": questionnaire.version,
            "waves": [[int(w), str(name)] for w, name in waves[["wave_id", "name"]].itertuples(index=False)],
        },
    )
    for wave_id in waves["wave_id"].astype(int):
        yield from _wave_items(results, wave_id, schools, carry)
    # Tables that span a school's waves (`PER == "school"`: the trend), one item per school.
    spanning = [m for m in SCHOOL_TABLES if m.PER == "school"]
    waves_of = results.scored.groupby("school_urn", observed=True)["wave_id"].unique()
    items_of = {
        _urn(urn): [
            (kind(m), key(m, q, _urn(urn), 0, v)) for m in spanning for v in m.variants(questionnaire)
        ]
        for urn in waves_of.index
    }
    # What schools that keep their figures published before, read in one batch (not per school).
    kept = carry.kept_items(
        {
            item: True
            for urn, items in items_of.items()
            if carry.keeps_school(schools[urn].id)
            for item in items
        }
    )
    for urn in waves_of.index:
        school = schools[_urn(urn)]
        items = items_of[school.urn]
        if all(item in kept for item in items):
            yield from ((item, kept[item]) for item in items)
            continue
        figures = SchoolFigures(results, school, 0, results.scored, results.for_school(school.urn))
        for module in spanning:
            for variant, table in module.tables(figures).items():
                yield (kind(module), key(module, q, school.urn, 0, variant)), table


def _complete(kept: dict, items: list[tuple[str, str]], n: int) -> bool:
    """Whether a kept school has every item it published: a school of fewer than 10 has only its
    head and its representativeness (a release from before the tables were split has neither)."""
    if n >= MIN_N:
        return all(item in kept for item in items)
    needed = [i for i in items if i[0] in ("school", kind(representativeness))]
    return all(item in kept for item in needed)


def _urn(value: Any) -> int:
    """A URN from a pandas cell (the frames hold them as numpy or Python integers)."""
    return int(value)


def _by_school(frame: pd.DataFrame) -> dict[int, pd.DataFrame]:
    return {_urn(urn): rows for urn, rows in frame.groupby("school_urn", observed=True, sort=False)}


def _wave_items(results: Results, wave_id: int, schools: dict[int, School], carry: Carry) -> Items:
    questionnaire = results.questionnaire
    q = questionnaire.id
    wave_rows = results.for_wave(wave_id)
    benchmarks = wave_benchmarks(questionnaire, wave_rows)
    # Worked out for every school at once (each school's figures still use its own pupils only).
    gaps = {
        (scale.id, group): analysis.gaps(wave_rows, group, scale.id, by="school_urn")
        for scale in questionnaire.scales
        for group in GROUP_IDS
    }
    gaps_by_school = {key: _by_school(found) for key, found in gaps.items()}
    questions = lost_learning_questions(questionnaire)
    lost_by_school = {
        (question.id, group): _by_school(
            analysis.disproportionality(
                wave_rows, question.id, group, by="school_urn", questionnaire=questionnaire
            )
        )
        for question in questions
        for group in GROUP_IDS
    }
    items_by_school = _by_school(analysis.item_results(wave_rows, questionnaire, by="school_urn"))
    national_items = analysis.item_results(wave_rows, questionnaire, by=None)
    levels = level_options(wave_rows)
    present = sorted(_urn(u) for u in wave_rows["school_urn"].unique())
    yield ("levels", f"{q}:{wave_id}"), levels
    yield ("present", f"{q}:{wave_id}"), present
    empty = pd.DataFrame()
    roster = representativeness.wave_roster(wave_id)
    roster_sizes = roster["school_id"].value_counts().to_dict()
    per_wave = [m for m in (*SCHOOL_TABLES, *REVIEWER_TABLES) if m.PER == "wave"]
    items_of = {
        urn: [("school", f"{q}:{wave_id}:{urn}"), ("summary", f"{q}:{wave_id}:{urn}")]
        + [(kind(m), key(m, q, urn, wave_id, v)) for m in per_wave for v in m.variants(questionnaire)]
        for urn in present
    }
    # What schools that keep their figures published before, read in one batch (not per school).
    kept = carry.kept_items(
        {
            item: True
            for urn, items in items_of.items()
            if carry.keeps(schools[urn].id, [wave_id])
            for item in items
        }
    )
    for urn, own in wave_rows.groupby("school_urn", observed=True):
        school = schools[_urn(urn)]
        items = items_of[school.urn]
        head = items[0]
        if head in kept and _complete(kept, items, store.decode(kept[head])["n"]):
            yield from ((item, kept[item]) for item in items if item in kept)
            continue
        yield head, {"n": len(own)}
        figures = SchoolFigures(results, school, wave_id, wave_rows, own)
        if len(own) >= MIN_N:
            figures.benchmarks = benchmarks
            figures.gaps = {k: found.get(school.urn, empty) for k, found in gaps_by_school.items()}
            figures.lost = {k: found.get(school.urn, empty) for k, found in lost_by_school.items()}
            scores = {
                scale.id: benchmarks.schools[scale.id].loc[[school.urn]].reset_index()
                for scale in questionnaire.scales
            }
            marked = summary.marked_family(
                questionnaire, figures.gaps, figures.lost, scores, benchmarks.national
            )
            figures.verdicts = summary.verdicts_of(marked)
            shown: dict[str, Any] = {}
            for module in SCHOOL_TABLES:
                if module.PER == "wave":
                    for variant, table in module.tables(figures).items():
                        shown[module.ID] = table
                        yield (kind(module), key(module, q, school.urn, wave_id, variant)), table
        respondents = representativeness.tables(figures, roster)
        for variant, tables in respondents.items():
            yield (kind(representativeness), key(representativeness, q, school.urn, wave_id, variant)), tables
        if len(own) >= MIN_N:
            yield (
                ("summary", f"{q}:{wave_id}:{school.urn}"),
                summary.school_summary(
                    questionnaire,
                    n=len(own),
                    roster=int(roster_sizes.get(school.id, 0)),
                    scales=shown["scales"],
                    marked=marked,
                    gaps=figures.gaps,
                    items=items_by_school.get(school.urn, empty),
                    national_items=national_items,
                    bands={scale: found.get(school.urn) for scale, found in benchmarks.bands.items()},
                    respondents={group: tables[0] for group, tables in respondents.items()},
                ),
            )
    for scale in questionnaire.scales:
        context = compare._context(wave_rows, scale.id)
        for adjust in ADJUSTMENTS:
            yield (
                ("compare", f"{q}:{compare.item_key(wave_id, scale.id, None, adjust)}"),
                compare.compare_national(
                    results, wave_id, measure=scale.id, gap=None, adjust=adjust, context=context
                ),
            )
        for option, _label in levels:  # each group's gap: its funnel fitted here, not per request
            group, level = option.split(":", 1)
            yield (
                ("compare", f"{q}:{compare.item_key(wave_id, scale.id, (group, level), 'raw')}"),
                compare.compare_gap_national(gaps[(scale.id, group)], (group, level), present),
            )
        yield (
            ("areas", f"{q}:{wave_id}:{scale.id}"),
            areas.area_statistics(results, wave_id, measure=scale.id),
        )
    for group in GROUP_IDS:
        every = disproportionality.disproportionality_for_release(results, wave_id, group)
        for kind_, key_, value in disproportionality.release_items(every, wave_id, group):
            yield (kind_, f"{q}:{key_}"), value


THEME_NAMES = {
    "belonging": "Belonging and friends",
    "teachers": "Teachers",
    "fairness": "Fairness",
    "bullying": "Bullying",
    "learning": "Learning",
    "behaviour": "Behaviour and sanctions",
    "facilities": "Buildings and facilities",
    "clubs": "Clubs and activities",
    "mental_health": "Mental health",
    "send_support": "SEND support",
    "safeguarding": "Possible safeguarding concern",
}


def comment_items(release_id: int, carry: Carry = NOTHING_KEPT) -> Items:
    """What pupils wrote, from the responses the release takes in only, redacted, each school's in
    a random order, so that no comment can be matched to when it was written. A school that keeps
    its figures keeps its comments, in the same order."""
    rows = db.session.execute(
        select(School.urn, School.id, Response.wave_id, Answer.text, Answer.question_id, Wave.name)
        .join(Response, Response.id == Answer.response_id)
        .join(Wave, Wave.id == Response.wave_id)
        .join(School, School.id == Response.school_id)
        .where(
            Response.status == ResponseStatus.COMPLETE,
            Response.released_in.is_not(None),
            Answer.text.is_not(None),
            Answer.prefer_not_to_say.is_(False),
        )
    ).all()
    written = pd.DataFrame(
        [r for r in rows if r.text and r.text.strip()],
        columns=["urn", "school_id", "wave_id", "text", "question", "wave"],
    )
    shuffle = random.Random(f"release-{release_id}")
    by_school = written.groupby("urn")
    keep = {str(_urn(urn)): carry.keeps_school(int(own["school_id"].iloc[0])) for urn, own in by_school}
    carried = carry.kept("comments", keep)
    for urn, own in by_school:
        key = str(_urn(urn))
        if key in carried:
            yield ("comments", key), carried[key]
            continue
        texts = list(own["text"])
        redacted = [analysis.text.redact(t) for t in texts]
        themes = analysis.text.themes(texts)
        # A tone label is shown only once it agrees with people's reading of children's comments
        # (analysis.text.TONE_VALIDATED; it reached 44% on the labelled set, not the 80% needed).
        moods = analysis.text.sentiment(texts) if analysis.text.TONE_VALIDATED else None
        comments = []
        for index, (_, row) in enumerate(own.iterrows()):
            found = [name for name in themes.columns if bool(themes.iloc[index][name])]
            polarity = moods.iloc[index]["polarity"] if moods is not None else None
            comments.append(
                {
                    "text": redacted[index],
                    "question": row["question"],
                    "wave": row["wave"],
                    "themes": found,
                    "theme_names": [THEME_NAMES.get(name, name) for name in found],
                    "tone": None
                    if polarity is None
                    else "positive"
                    if polarity > 0.1
                    else "negative"
                    if polarity < -0.1
                    else "neutral",
                    "safeguarding": "safeguarding" in found,
                }
            )
        shuffle.shuffle(comments)
        yield ("comments", key), comments

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
from . import areas, batch, compare, disproportionality, store, summary
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
    fresh = [urn for urn in waves_of.index if not all(item in kept for item in items_of[_urn(urn)])]
    trends = batch.trend_tables(results) if fresh else {}
    no_rows = results.scored.iloc[:0]
    for urn in waves_of.index:
        school = schools[_urn(urn)]
        items = items_of[school.urn]
        if all(item in kept for item in items):
            yield from ((item, kept[item]) for item in items)
            continue
        # Worked out for every school at once (`batch`): no school's pupils are sliced out.
        figures = SchoolFigures(results, school, 0, results.scored, no_rows, trend=trends[school.urn])
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
    return batch.frames_by_school(frame)


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
    lost = {
        (question.id, group): analysis.disproportionality(
            wave_rows, question.id, group, by="school_urn", questionnaire=questionnaire
        )
        for question in questions
        for group in GROUP_IDS
    }
    lost_by_school = {key: _by_school(found) for key, found in lost.items()}
    # Every school's family of marks, and its lost learning, worked out for all at once.
    marked_of = batch.marked_families(questionnaire, gaps, lost, benchmarks)
    lost_learning = batch.lost_learning_counts(questionnaire, wave_rows)
    items_by_school = _by_school(analysis.item_results(wave_rows, questionnaire, by="school_urn"))
    national_items = analysis.item_results(wave_rows, questionnaire, by=None)
    levels = level_options(wave_rows)
    present = sorted(_urn(u) for u in wave_rows["school_urn"].unique())
    yield ("levels", f"{q}:{wave_id}"), levels
    yield ("present", f"{q}:{wave_id}"), present
    empty = pd.DataFrame()
    roster = representativeness.wave_roster(wave_id)
    roster_sizes = roster["school_id"].value_counts().to_dict()
    counts = batch.Representativeness(wave_rows, roster, GROUP_IDS)
    nothing_marked = summary.marked_family(questionnaire, {}, {})
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
    # No school's pupils are sliced out of the wave: every table below was worked out for all at once
    # and is given its school's part (`SchoolFigures`), so it is passed no pupils.
    no_rows = wave_rows.iloc[:0]
    for urn, n in wave_rows.groupby("school_urn", observed=True).size().items():
        school = schools[_urn(urn)]
        items = items_of[school.urn]
        head = items[0]
        if head in kept and _complete(kept, items, store.decode(kept[head])["n"]):
            yield from ((item, kept[item]) for item in items if item in kept)
            continue
        yield head, {"n": int(n)}
        figures = SchoolFigures(results, school, wave_id, wave_rows, no_rows, respondents=counts)
        if n >= MIN_N:
            figures.benchmarks = benchmarks
            figures.gaps = {k: found.get(school.urn, empty) for k, found in gaps_by_school.items()}
            figures.lost = {k: found.get(school.urn, empty) for k, found in lost_by_school.items()}
            figures.lost_learning = lost_learning[school.urn]
            # Nothing to mark: as `summary.marked_family` says it.
            marked = marked_of.get(school.urn, nothing_marked)
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
        if n >= MIN_N:
            yield (
                ("summary", f"{q}:{wave_id}:{school.urn}"),
                summary.school_summary(
                    questionnaire,
                    n=int(n),
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
    # Redaction, themes and tone depend on the text alone: each distinct text is read once.
    fresh = [own for urn, own in by_school if str(_urn(urn)) not in carried]
    distinct = list(dict.fromkeys(text for own in fresh for text in own["text"]))
    redacted_of = dict(zip(distinct, (analysis.text.redact(t) for t in distinct), strict=True))
    themes = analysis.text.themes(distinct)
    themes_of = dict(zip(distinct, _themes_found(themes), strict=True))
    # A tone label is shown only once it agrees with people's reading of children's comments
    # (analysis.text.TONE_VALIDATED; it reached 44% on the labelled set, not the 80% needed).
    moods = analysis.text.sentiment(distinct) if analysis.text.TONE_VALIDATED else None
    polarity_of = dict(zip(distinct, moods["polarity"], strict=True)) if moods is not None else {}
    for urn, own in by_school:
        key = str(_urn(urn))
        if key in carried:
            yield ("comments", key), carried[key]
            continue
        comments = []
        for text, question, wave in zip(own["text"], own["question"], own["wave"], strict=True):
            found = themes_of[text]
            polarity = polarity_of.get(text)
            comments.append(
                {
                    "text": redacted_of[text],
                    "question": question,
                    "wave": wave,
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


def _themes_found(themes: pd.DataFrame) -> list[list[str]]:
    """Each row's themes (`analysis.text.themes`), by name in the lexicon's order."""
    names = list(themes.columns)
    flags = themes.to_numpy(dtype=bool)
    return [[name for name, on in zip(names, row, strict=True) if on] for row in flags]

"""A school's two-minute summary: worked out in the release pipeline, read by its page and report.

`school_summary` runs in the worker, beside the school's tables, and returns facts (ids, codes and
numbers exactly as the tables show them), stored as the release item ``summary``. It never holds a
figure the release's tables hide. `summary_view` turns those facts into sentences, a grid and
tables in the page's language (English on staff pages, English or Welsh in the governors' report).

The strengths and priorities are chosen only from marked differences: the school's scales against
the national average, its groups' gaps and risk ratios, all marked together with the
Benjamini–Hochberg procedure (`marked_family`, ``analysis.mark``), so the summary never names a
difference the tables would call unclear.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

import analysis
from questionnaires import Questionnaire

from .. import charts
from ..reference import ETHNICITY_MAJOR, GENDER, SEN
from .table import HIDDEN, Table

MAX_FINDINGS = 3
# Those who answered "look like the roster" when every shown group's share is within this many points.
REPRESENTATIVE_POINTS = 10
# Below this many pupils, every figure is a rough guide.
FEW_PUPILS = 30
GROUP_IDS = ["fsm", "sen", "ethnicity_major", "gender", "year_group", "eal", "looked_after"]
MARKED = {"higher", "lower"}


# -- in the release pipeline -------------------------------------------------------------------------


def marked_family(
    questionnaire: Questionnaire,
    gaps: dict[tuple[str, str], pd.DataFrame],
    lost: dict[tuple[str, str], pd.DataFrame],
    scores: dict[str, pd.DataFrame] | None = None,
    national: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Everything shown for one school, marked together (``analysis.mark``).

    `gaps`: (scale, group) → the school's ``analysis.gaps`` rows; `lost`: (question, group) → its
    ``analysis.disproportionality`` rows; `scores`: scale → the school's ``analysis.aggregate``
    row; `national`: scale → the national average. Two-level splits keep one row ("Y")."""
    parts = []
    for (scale_id, group), found in gaps.items():
        if len(found):
            kept = analysis.one_row_per_split(found, group, keep=["Y"])
            meaningful = analysis.meaningful_difference(questionnaire.scale(scale_id))
            parts.append(analysis.gap_estimates(kept, group, scale_id, meaningful=meaningful))
    for (question_id, group), found in lost.items():
        if len(found):
            kept = analysis.one_row_per_split(found, group, keep=["Y"])
            parts.append(analysis.risk_ratio_estimates(kept, group, question_id))
    for scale_id, row in (scores or {}).items():
        benchmark = (national or {}).get(scale_id, math.nan)
        if len(row) and math.isfinite(benchmark):
            meaningful = analysis.meaningful_difference(questionnaire.scale(scale_id))
            parts.append(analysis.benchmark_estimates(row, scale_id, benchmark, meaningful=meaningful))
    if not parts:
        return pd.DataFrame(columns=["kind", "group", "measure", "level", "verdict", "marked"])
    parts = [p.drop(columns=[c for c in p.columns if c == "school_urn"]) for p in parts]
    return analysis.mark(pd.concat(parts, ignore_index=True))


def verdicts_of(marked: pd.DataFrame) -> dict[tuple, str]:
    """(kind, group, measure, level) → verdict, for the gap and risk-ratio rows of `marked_family`."""
    return {
        (r.kind, r.group, r.measure, str(r.level)): str(r.verdict)
        for r in marked[["kind", "group", "measure", "level", "verdict"]].itertuples(index=False)
        if r.kind != "benchmark"
    }


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _shown(value: Any, decimals: int) -> float | None:
    """A figure rounded as the tables show it (a summary never holds more precision than a table)."""
    number = _number(value)
    return None if number is None else round(number, decimals) + 0.0


def _findings(marked: pd.DataFrame, gaps: dict[tuple[str, str], pd.DataFrame]) -> dict[str, list[dict]]:
    """Up to three strengths and three priorities, from the marked rows only, surest first."""
    chosen = marked[marked["marked"].astype(bool)].copy()
    if chosen.empty:
        return {"strengths": [], "priorities": []}
    ratio = (chosen["kind"] == "risk_ratio").to_numpy()
    estimate = chosen["estimate"].to_numpy(dtype=float)
    size = np.abs(estimate) / chosen["meaningful"].to_numpy(dtype=float)
    size[ratio] = np.abs(np.log(estimate[ratio])) / np.log(analysis.markers.MEANINGFUL_RATIO)
    chosen["_size"] = size
    chosen = chosen.sort_values(["q_value", "_size"], ascending=[True, False], kind="stable")
    strengths, priorities = [], []
    for r in chosen.itertuples(index=False):
        fact = {
            "kind": r.kind,
            "measure": r.measure,
            "group": None if r.kind == "benchmark" else r.group,
            "level": None if r.kind == "benchmark" else str(r.level),
            "verdict": r.verdict,
            "estimate": _shown(r.estimate, 2),
            "ci_low": _shown(r.ci_low, 2),
            "ci_high": _shown(r.ci_high, 2),
        }
        if r.kind == "benchmark" and r.verdict == "higher":
            strengths.append(fact)
        elif (r.kind in ("benchmark", "gap") and r.verdict == "lower") or (
            r.kind == "risk_ratio" and r.verdict == "higher"
        ):
            priorities.append(fact)
    return {"strengths": strengths[:MAX_FINDINGS], "priorities": priorities[:MAX_FINDINGS]}


def _grid(marked: pd.DataFrame, gaps: dict[tuple[str, str], pd.DataFrame], scales: list[str]) -> list[dict]:
    """One row per group level shown on the school's gap tables; a cell per scale."""
    verdicts = {
        (r.group, r.measure, str(r.level)): (r.verdict, r.estimate)
        for r in marked[marked["kind"] == "gap"].itertuples(index=False)
    }
    rows: dict[tuple[str, str], dict] = {}
    for group in GROUP_IDS:
        for scale_id in scales:
            found = gaps.get((scale_id, group))
            if found is None or not len(found):
                continue
            for r in analysis.one_row_per_split(found, group, keep=["Y"]).itertuples(index=False):
                level = getattr(r, group)
                if level is None or (isinstance(level, float) and math.isnan(level)):
                    continue  # "not known" is no group to act on
                key = (group, str(level))
                row = rows.setdefault(key, {"group": group, "level": str(level), "cells": {}})
                hidden = Table.hidden(r.suppressed_reason)
                verdict, estimate = verdicts.get((group, scale_id, str(level)), ("not shown", None))
                if hidden or verdict == "not shown":
                    row["cells"][scale_id] = {"hidden": HIDDEN}
                else:
                    cell: dict[str, Any] = {"verdict": verdict}
                    if verdict in MARKED:
                        cell["estimate"] = _shown(estimate, 2)
                    row["cells"][scale_id] = cell
    return list(rows.values())


def _representative(respondents: dict[str, Table]) -> dict | None:
    """The shown group whose share of those who answered differs most from its share of the roster."""
    worst: dict | None = None
    for group, table in respondents.items():
        for row in table.rows:
            hidden = row.get("_hidden") or {}
            if row.get("_suppressed") or "answered_share" in hidden or "roster_share" in hidden:
                continue
            if row["level"] == "Not known":
                continue
            answered, listed = _shown(row.get("answered_share"), 0), _shown(row.get("roster_share"), 0)
            if answered is None or listed is None:
                continue
            difference = abs(answered - listed)
            if worst is None or difference > worst["difference"]:
                worst = {
                    "group": group,
                    "level": row["level"],
                    "answered_share": answered,
                    "roster_share": listed,
                    "difference": difference,
                }
    return worst


def school_summary(
    questionnaire: Questionnaire,
    *,
    n: int,
    roster: int,
    scales: Table,
    marked: pd.DataFrame,
    gaps: dict[tuple[str, str], pd.DataFrame],
    items: pd.DataFrame,
    national_items: pd.DataFrame,
    bands: dict[str, dict | None],
    respondents: dict[str, Table],
) -> dict:
    """The facts of a school's summary for one wave (see the module's docstring).

    `scales`: the school's scales table; `items`: its rows of ``analysis.item_results``;
    `national_items`: ``item_results(..., by=None)`` for the wave; `bands`: scale → the school's
    row of ``analysis.rank_band`` (or nothing when hidden); `respondents`: group → the "Who
    answered" table."""
    verdicts = {r.measure: r.verdict for r in marked[marked["kind"] == "benchmark"].itertuples(index=False)}
    scale_rows = []
    for row in scales.rows:
        fact: dict[str, Any] = {"id": row["scale_id"]}
        if row["_suppressed"] or _number(row["mean"]) is None:
            fact["hidden"] = HIDDEN
        else:
            fact |= {
                "n": int(row["n"]),
                "mean": _shown(row["mean"], 2),
                "ci_low": _shown(row["ci_low"], 2),
                "ci_high": _shown(row["ci_high"], 2),
                "pct_positive": _shown(row["pct_positive"], 0),
                "national": _shown(row["national"], 2),
                "verdict": verdicts.get(row["scale_id"], "not shown"),
            }
            band = bands.get(row["scale_id"])
            if band:
                fact["band"] = [int(band["band_from"]), int(band["band_to"])]
                fact["percentile_interval"] = [
                    round(float(band["percentile_low"])),
                    round(float(band["percentile_high"])),
                ]
        scale_rows.append(fact)
    national = {r.item: _shown(r.pct_positive, 0) for r in national_items.itertuples(index=False)}
    item_rows = []
    for r in items.itertuples(index=False):
        if bool(r.suppressed):
            item_rows.append({"scale": r.scale, "item": r.item, "hidden": HIDDEN})
            continue
        item_rows.append(
            {
                "scale": r.scale,
                "item": r.item,
                "pct": _shown(r.pct_positive, 0),
                "low": _shown(r.pct_positive_low, 0),
                "high": _shown(r.pct_positive_high, 0),
                "national": national.get(r.item),
            }
        )
    scale_ids = [s.id for s in questionnaire.scales]
    return {
        "n": int(n),
        "roster": int(roster),
        "scales": scale_rows,
        "findings": _findings(marked, gaps),
        "grid": {"scales": scale_ids, "rows": _grid(marked, gaps, scale_ids)},
        "items": item_rows,
        "representative": _representative(respondents),
    }


# -- on the page and in the report ---------------------------------------------------------------------


def hidden_words(label: object = HIDDEN) -> str:
    """A hidden cell's label in the current language: one label for every hidden cell (an earlier
    release's stored label included), as on the page."""
    return _("hidden to protect pupils")


def _level_words() -> dict[str, dict[str, str]]:
    """Each group level as a noun phrase about pupils, in the current language."""
    return {
        "fsm": {
            "Y": _("pupils eligible for free school meals"),
            "N": _("pupils not eligible for free school meals"),
        },
        "eal": {
            "Y": _("pupils with English as an additional language"),
            "N": _("pupils with English as their first language"),
        },
        "looked_after": {"Y": _("looked-after pupils"), "N": _("pupils who are not looked after")},
        "sen": {
            "N": _("pupils with no special educational needs"),
            "K": _("pupils receiving SEN support"),
            "E": _("pupils with an education, health and care plan"),
        },
        "gender": {"F": _("girls"), "M": _("boys"), "O": _("pupils who describe their gender another way")},
        "ethnicity_major": {
            "WHIT": _("White pupils"),
            "MIXD": _("pupils of mixed or multiple ethnic groups"),
            "ASIA": _("Asian or Asian British pupils"),
            "BLAC": _("Black, Black British, Caribbean or African pupils"),
            "CHIN": _("Chinese pupils"),
            "AOEG": _("pupils of any other ethnic group"),
            "REFU": _("pupils who refused to give their ethnicity"),
            "NOBT": _("pupils whose ethnicity is not yet known"),
        },
    }


def group_name(group: str) -> str:
    return {
        "fsm": _("Free school meals"),
        "sen": _("Special educational needs"),
        "ethnicity_major": _("Ethnicity"),
        "gender": _("Gender"),
        "year_group": _("Year group"),
        "eal": _("English as an additional language"),
        "looked_after": _("Looked after"),
    }[group]


def who(group: str, level: str) -> str:
    """The pupils of a group level, e.g. "pupils eligible for free school meals", "Year 7 pupils"."""
    if group == "year_group":
        try:
            return _("Year %(year)s pupils", year=int(float(level)))
        except ValueError:
            return level
    words = _level_words().get(group, {})
    if level in words:
        return words[level]
    english = {**ETHNICITY_MAJOR, **GENDER, **SEN}.get(level, level)
    return _("pupils in the group “%(level)s”", level=english)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _number_text(value: float, decimals: int = 2, *, sign: bool = False) -> str:
    text = f"{value:+.{decimals}f}" if sign else f"{value:.{decimals}f}"
    return text.replace("-", "\u2212")


class _Words:
    """The questionnaire's own words in the current language."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questionnaire = questionnaire
        self.language = str(get_locale() or "en")

    def scale(self, scale_id: str) -> str:
        return self.questionnaire.scale(scale_id).title.get_for(self.language)

    def range(self, scale_id: str) -> tuple[int, int]:
        low, high = self.questionnaire.scale(scale_id).range
        return int(low), int(high)

    def question(self, question_id: str) -> str:
        return self.questionnaire.question(question_id).text.get_for(self.language)


def finding_sentence(fact: dict, words: _Words) -> str:
    """One strength or priority in plain words, naming exactly the marked difference."""
    return _capital(_finding(fact, words))


def _finding(fact: dict, words: _Words) -> str:
    if fact["kind"] == "benchmark":
        low, high = words.range(fact["measure"])
        gap = _number_text(abs(fact["estimate"]))
        if fact["verdict"] == "higher":
            return _(
                "%(scale)s: clearly above the national average, by %(gap)s on the %(low)s to %(high)s scale.",
                scale=words.scale(fact["measure"]),
                gap=gap,
                low=low,
                high=high,
            )
        return _(
            "%(scale)s: clearly below the national average, by %(gap)s on the %(low)s to %(high)s scale.",
            scale=words.scale(fact["measure"]),
            gap=gap,
            low=low,
            high=high,
        )
    pupils = who(fact["group"], fact["level"])
    if fact["kind"] == "gap":
        low, high = words.range(fact["measure"])
        return _(
            "%(who)s score clearly lower on %(scale)s than the rest of the school, by %(gap)s on the "
            "%(low)s to %(high)s scale.",
            who=pupils,
            scale=words.scale(fact["measure"]),
            gap=_number_text(abs(fact["estimate"])),
            low=low,
            high=high,
        )
    return _(
        "%(who)s are clearly more likely than other pupils to say this happened at least once: "
        "“%(question)s” (%(ratio)s times as likely).",
        who=pupils,
        question=words.question(fact["measure"]),
        ratio=_number_text(fact["estimate"], 1),
    )


def band_words(band: list[int], interval: list[int]) -> str:
    """A rank band with its interval, in words (no bare percentile)."""
    place = analysis.band_text(band[0], band[1])
    return _(
        "%(place)s (somewhere between %(low)s%% and %(high)s%% of schools score lower)",
        place=_band_phrase(place),
        low=interval[0],
        high=interval[1],
    )


def _band_phrase(english: str) -> str:
    """``analysis.band_text``'s words through the catalogue."""
    phrases = {
        "among the lowest fifth of schools": _("among the lowest fifth of schools"),
        "among the second-lowest fifth of schools": _("among the second-lowest fifth of schools"),
        "among the middle fifth of schools": _("among the middle fifth of schools"),
        "among the second-highest fifth of schools": _("among the second-highest fifth of schools"),
        "among the highest fifth of schools": _("among the highest fifth of schools"),
        "among the highest two fifths of schools": _("among the highest two fifths of schools"),
        "among the highest three fifths of schools": _("among the highest three fifths of schools"),
        "among the highest four fifths of schools": _("among the highest four fifths of schools"),
        "among the lowest two fifths of schools": _("among the lowest two fifths of schools"),
        "among the lowest three fifths of schools": _("among the lowest three fifths of schools"),
        "among the lowest four fifths of schools": _("among the lowest four fifths of schools"),
        "in the middle three fifths of schools": _("in the middle three fifths of schools"),
        "anywhere among schools: too uncertain to place": _("anywhere among schools: too uncertain to place"),
    }
    return phrases.get(english, english)


def _verdict_words(verdict: str, n: int) -> str:
    return {
        "higher": _("Clearly above the national average"),
        "lower": _("Clearly below the national average"),
        "no clear difference": _("About the same as the national average"),
        "too few pupils to tell": _("With %(n)s pupils we can’t be sure how this compares", n=n),
    }.get(verdict, "")


def _cell_words(cell: dict) -> tuple[str, str]:
    """A grid cell's text and its kind (for the style): marked, unsure, none or hidden."""
    if "hidden" in cell:
        return cell["hidden"], "hidden"
    if cell["verdict"] == "higher":
        return _("Higher (%(gap)s)", gap=_number_text(cell["estimate"], sign=True)), "higher"
    if cell["verdict"] == "lower":
        return _("Lower (%(gap)s)", gap=_number_text(cell["estimate"], sign=True)), "lower"
    if cell["verdict"] == "too few pupils to tell":
        return _("Too few to tell"), "unsure"
    return _("No clear gap"), "none"


def summary_view(summary: dict, questionnaire: Questionnaire, *, chart_id: str = "summary-scales") -> dict:
    """What the page and the report show of a summary, in the current language."""
    words = _Words(questionnaire)
    n, roster = summary["n"], summary["roster"]
    out: dict[str, Any] = {"n": n}
    if roster:
        out["response"] = _(
            "%(n)s of the %(roster)s pupils on the school’s roster answered (%(rate)s%%).",
            n=f"{n:,}",
            roster=f"{roster:,}",
            rate=f"{100 * n / roster:.0f}" if n <= roster else "100",
        )
    else:
        out["response"] = _(
            "%(n)s pupils answered. No roster was uploaded, so we can’t tell what share of pupils that is.",
            n=f"{n:,}",
        )
    found = summary.get("representative")
    if found is None:
        out["representative"] = _("Groups are too small to compare those who answered with the roster.")
    elif found["difference"] <= REPRESENTATIVE_POINTS:
        out["representative"] = _(
            "Those who answered look like the school: every group shown makes up within %(points)s "
            "percentage points of its share of the roster.",
            points=REPRESENTATIVE_POINTS,
        )
    else:
        more = found["answered_share"] > found["roster_share"]
        template = (
            _(
                "%(who)s are over-represented: %(answered)s%% of those who answered, "
                "against %(roster)s%% of the roster."
            )
            if more
            else _(
                "%(who)s are under-represented: %(answered)s%% of those who answered, "
                "against %(roster)s%% of the roster."
            )
        )
        pupils = who(found["group"], _level_code(found["group"], found["level"]))
        out["representative"] = _capital(
            template
            % {
                "who": pupils,
                "answered": f"{found['answered_share']:.0f}",
                "roster": f"{found['roster_share']:.0f}",
            }
        )
    widths = [s["ci_high"] - s["ci_low"] for s in summary["scales"] if "mean" in s]
    half = float(np.median(widths)) / 2 if widths else math.nan
    if n < FEW_PUPILS:
        out["uncertainty"] = _(
            "With %(n)s pupils we can’t be sure of small differences: "
            "read every figure here as a rough guide.",
            n=n,
        )
    elif math.isfinite(half):
        out["uncertainty"] = _(
            "With %(n)s pupils, a score could be out by about %(half)s either way; a difference is "
            "called clear only when it holds after allowing for every comparison made for the school.",
            n=f"{n:,}",
            half=_number_text(half),
        )
    else:
        out["uncertainty"] = ""
    out["strengths"] = [finding_sentence(f, words) for f in summary["findings"]["strengths"]]
    out["priorities"] = [finding_sentence(f, words) for f in summary["findings"]["priorities"]]
    out["no_strengths"] = _("No scale is clearly above the national average.")
    out["no_priorities"] = _("No scale is clearly below the national average, and no group clearly behind.")
    out["scales"] = []
    for fact in summary["scales"]:
        low, high = words.range(fact["id"])
        row = {
            "id": fact["id"],
            "title": words.scale(fact["id"]),
            "range": _("%(low)s to %(high)s", low=low, high=high),
        }
        if "hidden" in fact:
            row["hidden"] = fact["hidden"]
        else:
            row |= {
                "mean": _number_text(fact["mean"]),
                "interval": _(
                    "%(low)s to %(high)s",
                    low=_number_text(fact["ci_low"]),
                    high=_number_text(fact["ci_high"]),
                ),
                "national": _number_text(fact["national"]) if fact["national"] is not None else "",
                "positive": f"{fact['pct_positive']:.0f}%" if fact.get("pct_positive") is not None else "",
                "verdict": _verdict_words(fact["verdict"], fact["n"]),
                "band": band_words(fact["band"], fact["percentile_interval"]) if "band" in fact else "",
            }
        out["scales"].append(row)
    out["chart"] = scales_chart(summary, words, chart_id)
    out["grid_columns"] = [words.scale(s) for s in summary["grid"]["scales"]]
    out["grid"] = []
    for row in summary["grid"]["rows"]:
        cells = []
        for scale_id in summary["grid"]["scales"]:
            cell = row["cells"].get(scale_id)
            cells.append(_cell_words(cell) if cell else ("", "none"))
        out["grid"].append(
            {
                "label": _capital(who(row["group"], row["level"])),
                "group": group_name(row["group"]),
                "cells": cells,
            }
        )
    out["items"] = []
    for fact in summary["items"]:
        row = {"scale": words.scale(fact["scale"]), "question": words.question(fact["item"])}
        if "hidden" in fact:
            row["hidden"] = fact["hidden"]
        else:
            row |= {
                "pct": f"{fact['pct']:.0f}%",
                "national": f"{fact['national']:.0f}%" if fact.get("national") is not None else "",
                "range": _("%(low)s%% to %(high)s%%", low=f"{fact['low']:.0f}", high=f"{fact['high']:.0f}"),
            }
        out["items"].append(row)
    groups: dict[str, list[dict]] = {}
    for row in out["items"]:
        groups.setdefault(row["scale"], []).append(row)
    out["item_groups"] = list(groups.items())
    return out


def _level_code(group: str, label: str) -> str:
    """A roster level's code from the words the "Who answered" table shows."""
    for table in ({"Eligible for free school meals": "Y", "Not eligible": "N"}, ETHNICITY_MAJOR, GENDER, SEN):
        for code, text in table.items():
            if text == label and (group != "fsm" or table is not ETHNICITY_MAJOR):
                return code
    if group in ("eal", "looked_after"):
        return {"Yes": "Y", "No": "N"}.get(label, label)
    if group == "year_group":
        return label.removeprefix("Year ")
    return label


def scales_chart(summary: dict, words: _Words, chart_id: str) -> Markup:
    """Each scale's score on its fixed axis (the scales' full range), the national average marked."""
    low = min(words.range(s["id"])[0] for s in summary["scales"])
    high = max(words.range(s["id"])[1] for s in summary["scales"])
    rows = [
        {
            "label": words.scale(s["id"]),
            "value": s.get("mean"),
            "low": s.get("ci_low"),
            "high": s.get("ci_high"),
            "benchmark": s.get("national"),
        }
        for s in summary["scales"]
    ]
    return charts.estimate_chart(
        rows,
        chart_id=chart_id,
        title=_("The school’s score on each scale, with the national average"),
        description=_(
            "Each scale’s average score from %(low)s to %(high)s, with its 95%% confidence interval, and a "
            "line at the national average. The table below has the same figures.",
            low=low,
            high=high,
        ),
        domain=(low, high),
        axis_label=_("Score (%(low)s to %(high)s, higher is better)", low=low, high=high),
        decimals=2,
        suppressed_label=hidden_words(),
        text={
            "estimate": _("School score, with its %(level)s%% confidence interval", level=95),
            "benchmark": _("National average"),
        },
    )

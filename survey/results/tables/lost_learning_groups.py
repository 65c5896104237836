"""Lost learning by pupil group: how likely each group was to miss learning, against the other pupils
of the school (risk ratios), marked where the difference is clear (`verdicts`)."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

import analysis
from questionnaires import Questionnaire

from ..labels import GROUP_IDS, GROUP_LABELS, level_label, lost_learning_questions, number
from ..table import Column, Table
from .base import ChartView, SchoolFigures
from .verdicts import MARKER_NOTE, RATIO_MARKS, VERDICT_WORDS

ID = "lost-learning-groups"
HEADING = None  # the table's own title ("Lost learning by …")
PER = "wave"


def variants(questionnaire: Questionnaire) -> list[str]:
    return list(GROUP_IDS)


def pick(stored, scale_id: str):
    return stored


def variant(scale_id: str, group: str) -> str:
    return group


def tables(found: SchoolFigures) -> dict[str, Table]:
    questions = lost_learning_questions(found.questionnaire)
    return {
        group: lost_learning_by_group_table(
            found.questionnaire,
            found.own,
            group,
            found={q.id: found.lost[(q.id, group)] for q in questions},
            verdicts=found.verdicts,
        )
        for group in GROUP_IDS
    }


def lost_learning_by_group_table(
    questionnaire: Questionnaire,
    own: pd.DataFrame,
    group: str,
    found: dict[str, pd.DataFrame | list[dict]] | None = None,
    verdicts: dict[tuple, str] | None = None,
) -> Table:
    """`found`: question id → the school's rows of ``analysis.disproportionality(..., by="school_urn")``
    when worked out for every school at once (each school's figures use its own pupils only), as a
    frame or as its records.
    `verdicts`: the school's marks (`results.summary.verdicts_of`); without them, each ratio is
    marked on its own."""
    rows = []
    for question in lost_learning_questions(questionnaire):
        table: pd.DataFrame | list[dict]
        if found is not None:
            table = found[question.id]
        else:
            table = analysis.disproportionality(own, question.id, group, questionnaire=questionnaire)
        short = question.text.get_for("en").removeprefix("Since September, ")
        for r in table if isinstance(table, list) else table.to_dict("records"):
            hidden = Table.hidden(r["suppressed_reason"])
            low, high = number(r["rr_ci_low"]), number(r["rr_ci_high"])
            row = {
                "question": short[0].upper() + short[1:],
                "level": level_label(group, r[group]),
                "n": r["n_g"],
                "risk": 100 * number(r["risk"]),
                "rr": r["rr"],
                "rr_ci_low": low,
                "rr_ci_high": high,
                "_suppressed": hidden,
            }
            if verdicts is not None:
                verdict = verdicts.get(("risk_ratio", group, question.id, str(r[group])))
                if verdict is None:
                    continue  # the mirror row of a two-level split
                mark = None if hidden else RATIO_MARKS.get(verdict)
                words = f"{mark}: a clear difference" if mark else VERDICT_WORDS.get(verdict, verdict)
                row["verdict"] = "" if hidden else words
                row["_highlight"] = mark
            else:
                row["_highlight"] = (
                    "More likely"
                    if not hidden and low > 1
                    else "Less likely"
                    if not hidden and high < 1
                    else None
                )
            rows.append(row)
    return Table(
        id=ID,
        title=f"Lost learning by {GROUP_LABELS[group].lower()}",
        caption=f"Lost learning by {GROUP_LABELS[group].lower()}: risk ratios compared with all other pupils",
        columns=[
            Column("question", "Experience"),
            Column("level", GROUP_LABELS[group]),
            Column("n", "Pupils", "count"),
            Column("risk", "At least once", "percent"),
            Column("rr", "Risk ratio", "ratio"),
            Column("rr_ci_low", "95% CI from", "ratio"),
            Column("rr_ci_high", "95% CI to", "ratio"),
            *([Column("verdict", "What it shows")] if verdicts is not None else []),
        ],
        rows=rows,
        note="A risk ratio of 2 means twice as likely as the other pupils of the school. "
        + (
            MARKER_NOTE
            if verdicts is not None
            else "Marked where the 95% confidence interval does not include 1."
        ),
    )


def chart(table: Table, view: ChartView) -> Markup | None:
    return None  # the table of risk ratios is the clearest way to read them

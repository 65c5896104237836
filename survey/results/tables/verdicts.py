"""Which gaps and risk ratios a school's page marks, and the words for each mark: every gap and
risk ratio shown for the school is marked together, with the false discovery rate controlled."""

from __future__ import annotations

import pandas as pd

import analysis
from questionnaires import Questionnaire

# What a marker says, in words (`analysis.mark`'s verdicts).
VERDICT_WORDS = {
    "higher": "Higher: a clear difference",
    "lower": "Lower: a clear difference",
    "more likely": "More likely: a clear difference",
    "less likely": "Less likely: a clear difference",
    "no clear difference": "No clear difference",
    "too few pupils to tell": "Too few pupils to tell",
    "not shown": "",
}
MARKS = {"higher": "Higher", "lower": "Lower", "more likely": "More likely", "less likely": "Less likely"}
MARKER_NOTE = (
    "Marked only where a difference is clear after allowing for every comparison shown for the "
    "school (Benjamini–Hochberg, false discovery rate 2.5%): when nothing really differs, fewer than "
    "1 school in 20 would see any mark. “Too few pupils to tell” means the group is too small to tell "
    "a meaningful difference from none; it is not the same as no difference. Where a group has two "
    "levels, one row is shown: the other is its mirror image."
)


def school_verdicts(questionnaire: Questionnaire, gaps: dict, lost: dict) -> dict[tuple, str]:
    """Every gap and risk ratio shown for one school, marked together (`analysis.mark`).

    `gaps`: (scale, group) → the school's ``analysis.gaps`` rows; `lost`: (question, group) → its
    ``analysis.disproportionality`` rows. Returns (kind, group, measure, level) → verdict, for the
    rows to show (one of each two-level split)."""
    parts = []
    for (scale_id, group), found in gaps.items():
        if len(found):
            kept = analysis.one_row_per_split(found, group, keep=["Y"])
            scale = questionnaire.scale(scale_id)
            parts.append(
                analysis.gap_estimates(
                    kept, group, scale_id, meaningful=analysis.meaningful_difference(scale)
                )
            )
    for (question_id, group), found in lost.items():
        if len(found):
            kept = analysis.one_row_per_split(found, group, keep=["Y"])
            parts.append(analysis.risk_ratio_estimates(kept, group, question_id))
    if not parts:
        return {}
    marked = analysis.mark(pd.concat(parts, ignore_index=True))
    return {
        (r.kind, r.group, r.measure, str(r.level)): str(r.verdict)
        for r in marked[["kind", "group", "measure", "level", "verdict"]].itertuples(index=False)
    }


RATIO_MARKS = {
    "higher": "More likely",
    "more likely": "More likely",
    "lower": "Less likely",
    "less likely": "Less likely",
}

"""The words for the marks on a school's gaps and risk ratios. The marks themselves: every gap and
risk ratio shown for the school marked together, with the false discovery rate controlled
(`survey.results.summary.marked_family` and `verdicts_of`, in the release pipeline)."""

from __future__ import annotations

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


RATIO_MARKS = {
    "higher": "More likely",
    "more likely": "More likely",
    "lower": "Less likely",
    "less likely": "Less likely",
}

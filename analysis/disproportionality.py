"""Disproportionality: how much more often one group of pupils has an outcome than others.

For lost learning (sent out, isolation, sent home, part-time timetables, managed moves) the usual
question is whether, say, Black Caribbean pupils are sent out of lessons more often than other
pupils. The answer is a risk ratio with its confidence interval, always reported beside the counts,
the absolute difference in risk and the composition index, because a ratio alone misleads for small
groups and rare outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import pandas as pd
from scipy import stats

import questionnaires
from questionnaires import Questionnaire

from . import _suppression
from ._checks import require_columns, require_frame, require_level, require_min_n

__all__ = ["at_least_once", "disproportionality"]

COLUMNS = [
    "a",
    "n_g",
    "risk",
    "c",
    "n_o",
    "risk_other",
    "rr",
    "rr_ci_low",
    "rr_ci_high",
    "risk_difference",
    "composition_index",
]
REFERENCE_COLUMNS = ["rr_ref", "rr_ref_ci_low", "rr_ref_ci_high", "risk_difference_ref"]


def disproportionality(
    scored: pd.DataFrame,
    outcome: str,
    group: str,
    *,
    by: str | Sequence[str] | None = None,
    reference: object = None,
    level: float = 0.95,
    questionnaire: Questionnaire | None = None,
    min_n: int = 10,
) -> pd.DataFrame:
    """Risk, risk ratio (Katz interval), risk difference and composition index for each group.

    Parameters
    ----------
    scored : pandas.DataFrame
        Pupil rows: the ``group`` column, the ``outcome`` and any ``by`` columns.
    outcome : str
        Either a column of booleans or 0/1 (blank = not known), or the id of a lost-learning
        question (e.g. ``"ll_sent_out"``), read as "at least once": answered with a value above the
        question's first option (see :func:`at_least_once`).
    group : str
        The pupil characteristic to compare, e.g. ``"ethnicity_minor"`` or ``"sen"``.
    by : str or list of str, optional
        Compare within each value of these columns (e.g. ``"school_urn"``), each one separately.
    reference : optional
        A level of ``group`` to compare every group with as well (e.g. ``"WBRI"``).
    level : float, default 0.95
        Confidence level of the risk-ratio intervals.
    questionnaire : questionnaires.Questionnaire, optional
        Where to find ``outcome`` when it is a question. Without it the questionnaires named in a
        ``questionnaire`` column of ``scored`` are loaded.
    min_n : int, default 10
        Groups, comparison groups or reference groups with fewer pupils are suppressed. It cannot
        be set below 10.

    Returns
    -------
    pandas.DataFrame
        One row per group level (within each ``by`` group), sorted, with the ``by`` columns, the
        ``group`` column, and

        * ``a``: pupils in the group with the outcome; ``n_g``: pupils in the group whose outcome
          is known; ``risk``: ``a / n_g``;
        * ``c``, ``n_o``, ``risk_other``: the same for all other pupils (with a known group);
        * ``rr``: ``risk / risk_other``, with ``rr_ci_low`` and ``rr_ci_high`` (Katz);
        * ``risk_difference``: ``risk − risk_other``;
        * ``composition_index``: the group's share of the pupils with the outcome divided by its
          share of all pupils;
        * with ``reference``: ``rr_ref``, ``rr_ref_ci_low``, ``rr_ref_ci_high`` and
          ``risk_difference_ref`` against the reference group (NaN on the reference's own row,
          and wherever the reference group is suppressed or absent);
        * ``suppressed`` (bool) and ``suppressed_reason``: ``"primary"`` (``n_g < min_n``),
          ``"comparison"`` (``n_o < min_n``), ``"complementary"`` or missing.

        Risks are proportions (0–1). A suppressed row keeps its group labels; its counts and every
        statistic are NaN (counts are nullable integers).

    Raises
    ------
    ValueError
        If a column is missing, ``outcome`` is neither a 0/1 column nor a single-choice question,
        ``reference`` is not a level of ``group``, or ``level``/``min_n`` are out of range.

    Notes
    -----
    Pupils with no known outcome (question not answered or not asked) or no known group are left
    out of every count. With :math:`a` of :math:`n_g` in the group and :math:`c` of :math:`n_o`
    among the others, :math:`RR = (a/n_g)/(c/n_o)` and the Katz log interval [1]_ is

    .. math:: \\exp\\left(\\ln RR \\pm z \\sqrt{1/a - 1/n_g + 1/c - 1/n_o}\\right)

    with :math:`z = \\Phi^{-1}((1 + \\text{level})/2)`. It equals
    ``scipy.stats.contingency.relative_risk(a, n_g, c, n_o).confidence_interval(level)``, including
    its edge cases: RR 0 with interval (0, NaN) when :math:`a = 0`, and infinite RR with interval
    (NaN, inf) when :math:`c = 0`.

    The composition index is :math:`(a/A)/(n_g/N)` with :math:`A` and :math:`N` the totals over all
    groups: above 1 the group is over-represented among pupils with the outcome.

    Disclosure control: a group with fewer than ``min_n`` pupils is suppressed (primary), and so is
    a group whose comparison has fewer (then the other groups are all small). Within each ``by``
    group the levels add up to a total that any shown row reveals (``a + c`` and ``n_g + n_o``),
    so where exactly one row is suppressed the smallest shown row is suppressed too
    (complementary). Tables published beside this one (other margins) need checking as well.

    References
    ----------
    .. [1] Katz, D., Baptista, J., Azen, S. P., & Pike, M. C. (1978). Obtaining confidence
           intervals for the risk ratio in cohort studies. Biometrics, 34(3), 469–474.
    .. [2] Department for Education (2023). Suspensions and permanent exclusions in England:
           methodology (risk ratios by pupil characteristic).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.disproportionality import disproportionality
    >>> pupils = pd.DataFrame({
    ...     "ethnicity_major": ["BLAC"] * 40 + ["WHIT"] * 120 + ["ASIA"] * 40,
    ...     "ll_sent_out": [2] * 12 + [1] * 28 + [2] * 18 + [1] * 102 + [3] * 4 + [1] * 36,
    ...     "questionnaire": "national-secondary",
    ... })
    >>> result = disproportionality(pupils, "ll_sent_out", "ethnicity_major", reference="WHIT")
    >>> result[["ethnicity_major", "a", "n_g", "risk", "rr", "rr_ci_low", "rr_ci_high"]].round(2)
      ethnicity_major   a  n_g  risk    rr  rr_ci_low  rr_ci_high
    0            ASIA   4   40  0.10  0.53       0.20        1.43
    1            BLAC  12   40  0.30  2.18       1.18        4.02
    2            WHIT  18  120  0.15  0.75       0.41        1.38
    >>> result[["ethnicity_major", "composition_index", "rr_ref", "risk_difference_ref"]].round(2)
      ethnicity_major  composition_index  rr_ref  risk_difference_ref
    0            ASIA               0.59    0.67                -0.05
    1            BLAC               1.76    2.00                 0.15
    2            WHIT               0.88     NaN                  NaN
    """
    require_frame(scored, "scored")
    by_columns = [by] if isinstance(by, str) else list(by or [])
    require_columns(scored, [outcome, group, *by_columns], "the scored frame")
    level = require_level(level)
    min_n = require_min_n(min_n)
    if group in by_columns:
        raise ValueError(f"group {group!r} cannot also be a by column")

    has_outcome = _outcome(scored, outcome, questionnaire)
    frame = scored[[*by_columns, group]].assign(_outcome=has_outcome)
    frame = frame[frame["_outcome"].notna() & frame[group].notna()]
    if reference is not None and not (frame[group] == reference).any():
        raise ValueError(
            f"reference {reference!r} is not a level of {group!r} among pupils with a known outcome"
        )

    z = stats.norm.ppf((1 + level) / 2)
    counts = frame.groupby([*by_columns, group], dropna=False, sort=True)["_outcome"].agg(["sum", "size"])
    counts.columns = ["a", "n_g"]
    counts = counts.reset_index()
    if by_columns:
        totals = counts.groupby(by_columns, dropna=False, sort=False)[["a", "n_g"]].transform("sum")
    else:
        totals = pd.DataFrame({"a": counts["a"].sum(), "n_g": counts["n_g"].sum()}, index=counts.index)
    result = counts[[*by_columns, group]].copy()
    a = counts["a"].to_numpy(dtype=float)
    n_g = counts["n_g"].to_numpy(dtype=float)
    total_a = totals["a"].to_numpy(dtype=float)
    total_n = totals["n_g"].to_numpy(dtype=float)
    c, n_o = total_a - a, total_n - n_g

    rr, low, high = _katz(a, n_g, c, n_o, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        result["a"] = a
        result["n_g"] = n_g
        result["risk"] = a / n_g
        result["c"] = c
        result["n_o"] = n_o
        result["risk_other"] = c / n_o
        result["rr"], result["rr_ci_low"], result["rr_ci_high"] = rr, low, high
        result["risk_difference"] = result["risk"] - result["risk_other"]
        result["composition_index"] = (a / total_a) / (n_g / total_n)
    primary = n_g < min_n
    comparison = ~primary & (n_o < min_n)
    sets = (
        counts.groupby(by_columns, dropna=False, sort=False).ngroup().to_numpy()
        if by_columns
        else np.zeros(len(counts), int)
    )
    extra = _suppression.complementary(primary | comparison, n_g, sets, min_n)
    hidden = primary | comparison | extra

    if reference is not None:
        own = (counts[group] == reference).to_numpy()
        shown_reference = pd.Series(own & ~hidden).groupby(sets).transform("any").to_numpy()
        ref_a = pd.Series(np.where(own, a, 0.0)).groupby(sets).transform("sum").to_numpy()
        ref_n = pd.Series(np.where(own, n_g, 0.0)).groupby(sets).transform("sum").to_numpy()
        rr_ref, ref_low, ref_high = _katz(a, n_g, ref_a, ref_n, z)
        with np.errstate(divide="ignore", invalid="ignore"):
            result["rr_ref"], result["rr_ref_ci_low"], result["rr_ref_ci_high"] = rr_ref, ref_low, ref_high
            result["risk_difference_ref"] = a / n_g - ref_a / ref_n
        # Not applicable on the reference's own row; hidden where the reference group is suppressed
        # (or absent), since comparisons with it would reveal its counts.
        result.loc[own | ~shown_reference, REFERENCE_COLUMNS] = np.nan

    statistics = [column for column in result.columns if column in COLUMNS + REFERENCE_COLUMNS]
    result.loc[hidden, statistics] = np.nan
    result["suppressed"] = hidden
    labels = np.select([primary, comparison, extra], ["primary", "comparison", "complementary"], default="")
    result["suppressed_reason"] = pd.Series(labels, index=result.index, dtype="str").replace("", None)
    for column in ("a", "n_g", "c", "n_o"):
        result[column] = result[column].astype("Int64")
    return result


def at_least_once(
    scored: pd.DataFrame, question: str, questionnaire: Questionnaire | None = None
) -> pd.Series:
    """Whether each pupil answered a question with more than its first option ("at least once").

    Parameters
    ----------
    scored : pandas.DataFrame
        Rows in the export format with the ``question`` column (numbers or numeric strings).
    question : str
        A single-choice question id, e.g. ``"ll_sent_out"`` (Never / Once / 2 to 5 times / More
        than 5 times) or ``"ll_part_time"`` (No / Yes).
    questionnaire : questionnaires.Questionnaire, optional
        The questionnaire defining the question. Without it each questionnaire named in the
        frame's ``questionnaire`` column is loaded; rows of a questionnaire without the question
        are NaN.

    Returns
    -------
    pandas.Series
        1.0 when the answer is above the question's lowest option value, 0.0 when it is the lowest,
        NaN when the question was not answered (blank: skipped, not asked or "Prefer not to say").

    Examples
    --------
    >>> import pandas as pd
    >>> import questionnaires
    >>> from analysis.disproportionality import at_least_once
    >>> q = questionnaires.load("national-secondary")
    >>> at_least_once(pd.DataFrame({"ll_sent_out": ["1", "3", "", "2"]}), "ll_sent_out", q).tolist()
    [0.0, 1.0, nan, 1.0]
    """
    require_columns(scored, [question], "the scored frame")
    if questionnaire is not None:
        lowest = pd.Series(_lowest(questionnaire, question), index=scored.index, dtype=float)
    else:
        require_columns(scored, ["questionnaire"], "the scored frame (or pass questionnaire=)")
        names = scored["questionnaire"]
        lowest = names.map({name: _lowest_by_id(str(name), question) for name in names.dropna().unique()})
        lowest = lowest.astype(float)
    try:
        values = pd.to_numeric(scored[question]).astype(float)
    except (ValueError, TypeError):
        raise ValueError(f"column {question!r} holds a value that is not a number") from None
    return (values > lowest).astype(float).where(values.notna() & lowest.notna())


def _outcome(scored: pd.DataFrame, outcome: str, questionnaire: Questionnaire | None) -> pd.Series:
    if _is_question(scored, outcome, questionnaire):
        return at_least_once(scored, outcome, questionnaire)
    values = scored[outcome]
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float")
    try:
        numbers = pd.to_numeric(values).astype(float)
    except (ValueError, TypeError):
        numbers = None
    if numbers is None or not numbers.dropna().isin([0.0, 1.0]).all():
        raise ValueError(
            f"outcome {outcome!r} must be a column of booleans or 0/1, or a single-choice question "
            "(pass questionnaire= if the frame has no 'questionnaire' column)"
        )
    return numbers


def _is_question(scored: pd.DataFrame, outcome: str, questionnaire: Questionnaire | None) -> bool:
    if questionnaire is not None:
        return questionnaire.questions.has(outcome)
    if "questionnaire" not in scored.columns:
        return False
    names = scored["questionnaire"].dropna().unique()
    return any(
        shipped.questions.has(outcome) for shipped in map(_shipped, map(str, names)) if shipped is not None
    )


def _lowest(questionnaire: Questionnaire, question_id: str) -> float:
    if not questionnaire.questions.has(question_id):
        raise ValueError(f"{questionnaire.id} has no question {question_id!r}")
    question = questionnaire.question(question_id)
    if question.type != "single":
        raise ValueError(
            f"question {question_id!r} is a {question.type} question; the outcome must be single-choice"
        )
    return float(min(question.values))


@cache
def _shipped(questionnaire_id: str) -> Questionnaire | None:
    try:
        return questionnaires.load(questionnaire_id)
    except FileNotFoundError:
        return None


def _lowest_by_id(questionnaire_id: str, question_id: str) -> float:
    questionnaire = _shipped(questionnaire_id)
    if questionnaire is None:
        raise ValueError(
            f"questionnaire {questionnaire_id!r} is not shipped; pass questionnaire= to read {question_id!r}"
        )
    return _lowest(questionnaire, question_id) if questionnaire.questions.has(question_id) else np.nan


def _katz(
    a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Risk ratio and its Katz log interval, with scipy's conventions for zero counts."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = (a / n1) / (c / n2)
        se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
        log_rr = np.log(rr)
        return rr, np.exp(log_rr - z * se), np.exp(log_rr + z * se)

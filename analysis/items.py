"""Per-question results: the share of pupils answering each scale item at the positive end.

A head teacher reads "62% of pupils said an adult at school notices when they are worried" more
easily than a scale mean. `item_results` gives that figure for every scale item, with the same
"positive end" rule as the scales' % positive (``analysis.scores``), so the two agree.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from questionnaires import Questionnaire

from ._checks import require_columns, require_frame, require_level, require_min_n
from .aggregate import wilson_interval
from .scores import _item_values

__all__ = ["item_results"]


def item_results(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    by: Hashable | Sequence[Hashable] | None = "school_urn",
    min_n: int = 10,
    level: float = 0.95,
) -> pd.DataFrame:
    """Percentage of pupils answering each scale item at the positive end, by group.

    Parameters
    ----------
    responses : pandas.DataFrame
        The response export (one row per response, one column per question id).
    questionnaire : questionnaires.Questionnaire
        Its questionnaire: every item of every scale is reported.
    by : str, list of str or None, default "school_urn"
        Grouping columns; None for one national row per item.
    min_n : int, default 10
        Fewest pupils answering an item for its figure to be shown; at least 10.
    level : float, default 0.95
        Confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        One row per group and item, in the questionnaire's order: the ``by`` columns, ``scale``,
        ``item``, ``reverse`` (the item is reverse scored), ``n`` (pupils who answered it),
        ``pct_positive`` (answered at the positive end: value after reverse coding at least the
        scale's ``positive_at``), ``pct_positive_low``, ``pct_positive_high`` (Wilson, percent)
        and ``suppressed``. A suppressed row (fewer than ``min_n`` answers) has NaN figures.

    Examples
    --------
    >>> import pandas as pd
    >>> import questionnaires
    >>> from analysis.items import item_results
    >>> q = questionnaires.load("national-primary")
    >>> items = [item for scale in q.scales for item in scale.items]
    >>> responses = pd.DataFrame({"school_urn": [1] * 12} | {item: [None] * 12 for item in items})
    >>> responses["p_safe_bullied"] = [1] * 9 + [3] * 3      # "Never" 9 times, "A lot" 3 times
    >>> table = item_results(responses, q)
    >>> table.loc[table["item"] == "p_safe_bullied", ["scale", "reverse", "n", "pct_positive"]]
         scale  reverse     n  pct_positive
    22  safety     True  12.0          75.0
    """
    require_frame(responses, "responses")
    if not isinstance(questionnaire, Questionnaire):
        raise TypeError(
            f"questionnaire must be a questionnaires.Questionnaire, not {type(questionnaire).__name__}"
        )
    require_min_n(min_n)
    require_level(level)
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))  # type: ignore[call-overload]
    items = [(scale, item) for scale in questionnaire.scales for item in scale.items]
    require_columns(responses, [*keys, *(item for _, item in items)], "responses")

    groups = (
        responses.groupby(keys, dropna=False, sort=True).ngroup().to_numpy()
        if keys
        else np.zeros(len(responses), dtype=int)
    )
    count = int(groups.max()) + 1 if len(groups) else 0
    labels = (
        responses[keys].assign(_g=groups).drop_duplicates("_g").sort_values("_g").drop(columns="_g")
        if keys
        else pd.DataFrame(index=range(count))
    )
    parts = []
    for scale, item in items:
        low, high = scale.range
        values = _item_values(responses[item], item)
        answered = ~np.isnan(values)
        scored = np.where(item in scale.reverse, low + high - values, values)
        positive = answered & (scored >= scale.positive_at)
        n = np.bincount(groups[answered], minlength=count).astype(float)
        x = np.bincount(groups[positive], minlength=count).astype(float)
        lower, upper = wilson_interval(x, n, level)
        hidden = n < min_n
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = 100 * x / n
        part = labels.reset_index(drop=True).copy()
        part["scale"] = scale.id
        part["item"] = item
        part["reverse"] = item in scale.reverse
        part["n"] = np.where(hidden, np.nan, n)
        part["pct_positive"] = np.where(hidden, np.nan, pct)
        part["pct_positive_low"] = np.where(hidden, np.nan, 100 * lower)
        part["pct_positive_high"] = np.where(hidden, np.nan, 100 * upper)
        part["suppressed"] = hidden
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    if keys:
        order = {item: i for i, (_, item) in enumerate(items)}
        table = table.assign(_o=table["item"].map(order)).sort_values([*keys, "_o"], kind="stable")
        table = table.drop(columns="_o").reset_index(drop=True)
    return table

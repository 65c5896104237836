"""Scale scores: the mean of a pupil's answered items after reverse coding.

A questionnaire's scales (``scales:`` in its YAML, see ``docs/questionnaire-format.md``) name their
items, the items that are reverse coded, the fewest items a pupil must answer for a score, and the
item value from which an answer counts as positive. `score` applies these to the response export
(``docs/data-format.md``), one row per pupil.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from questionnaires import Questionnaire, Scale

from ._checks import require_columns, require_frame

__all__ = ["score"]


def score(responses: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """Score every scale of a questionnaire for every response.

    Parameters
    ----------
    responses : pandas.DataFrame
        The response export: one row per response, one column per question id. Item values may be
        numbers, strings such as ``"4"``, or blank (``""``, ``None``, NaN); anything that is not a
        number counts as not answered.
    questionnaire : questionnaires.Questionnaire
        The questionnaire whose ``scales`` are scored, e.g. ``questionnaires.load("national-secondary")``.

    Returns
    -------
    pandas.DataFrame
        The rows of `responses` (same index, every original column unchanged) followed by four
        columns for each scale, in the questionnaire's order:

        * ``<scale>`` (float64): mean of the answered items after reverse coding; NaN when fewer
          than the scale's ``min_answered`` items were answered.
        * ``<scale>_n_items`` (int8): how many of the scale's items were answered.
        * ``<scale>_positive_share`` (float64, 0–1): the share of the pupil's answered items at
          the positive end, i.e. whose value after reverse coding is at least the scale's
          ``positive_at``; NaN when the score is NaN. This is what "% positive" means, the same
          rule in both phases: ``analysis.aggregate`` averages it over pupils.
        * ``<scale>_positive`` (nullable ``boolean``): at least half of the pupil's answered items
          are at the positive end (``_positive_share >= 0.5``); NA when the score is NaN. Use it
          as a yes/no outcome, e.g. for ``analysis.disproportionality``.

    Raises
    ------
    ValueError
        When an item column is missing, when an item holds a number outside the scale's range, or
        when `responses` already has a column of one of the names above.

    Notes
    -----
    A reverse-coded item's value ``v`` becomes ``min + max − v``, with ``min`` and ``max`` the lowest
    and highest option values of the scale's response set. The score is the plain mean of the
    answered items, on the items' own scale (e.g. 1–5): unlike PISA's IRT-scaled indices (Warm
    estimates standardised to OECD mean 0, SD 1) it is not on a latent scale, so compare it only
    with scores of the same scale and questionnaire version.

    Rows of another questionnaire in a mixed export, and refusals, have blank items and so get a
    NaN score. Item values are read into float32, one item at a time, so scoring 9 million rows
    needs little more memory than the new columns themselves.

    References
    ----------
    OECD (2019). *PISA 2018 Technical Report*, ch. 16 (scaling of questionnaire indices).

    Examples
    --------
    >>> import pandas as pd
    >>> import questionnaires
    >>> from analysis.scores import score
    >>> q = questionnaires.load("national-secondary")
    >>> belonging = q.scales["belonging"]
    >>> belonging.items[:3], sorted(belonging.reverse), belonging.min_answered, belonging.positive_at
    (('belong_part', 'belong_accepted', 'belong_myself'), ['belong_alone', 'belong_left_out'], 4, 4.0)
    >>> items = [item for scale in q.scales for item in scale.items]
    >>> responses = pd.DataFrame({"response_id": [1, 2]} | {item: [None, None] for item in items})
    >>> responses.loc[0, ["belong_part", "belong_accepted", "belong_myself", "belong_left_out"]] = [
    ...     "5", "4", "3", "1"]  # belong_left_out is reverse coded: 1 counts as 5; 3 of 4 are 4 or more
    >>> responses.loc[1, ["belong_part", "belong_left_out"]] = ["2", "4"]  # too few answered
    >>> scored = score(responses, q)
    >>> scored[["belonging", "belonging_n_items", "belonging_positive_share", "belonging_positive"]]
       belonging  belonging_n_items  belonging_positive_share  belonging_positive
    0       4.25                  4                      0.75                True
    1        NaN                  2                       NaN                <NA>
    """
    responses = require_frame(responses, "responses")
    if not isinstance(questionnaire, Questionnaire):
        raise TypeError(
            f"questionnaire must be a questionnaires.Questionnaire, not {type(questionnaire).__name__}"
        )
    for scale in questionnaire.scales:
        require_columns(responses, scale.items, f"responses (scale {scale.id!r})")
        clashes = [c for c in _output_names(scale) if c in responses.columns]
        if clashes:
            raise ValueError(
                f"responses already has a column {clashes[0]!r}: score the unscored export, "
                "or drop the old score columns first"
            )

    new: dict[str, object] = {}
    for scale in questionnaire.scales:
        mean, answered, positive_items = _score_scale(responses, scale)
        missing = np.isnan(mean)
        share = np.full(len(mean), np.nan)
        np.divide(positive_items, answered, out=share, where=~missing)
        positive = pd.arrays.BooleanArray(np.where(missing, False, share >= 0.5), missing)
        new[scale.id] = mean
        new[f"{scale.id}_n_items"] = answered
        new[f"{scale.id}_positive"] = positive
        new[f"{scale.id}_positive_share"] = share
    scores = pd.DataFrame(new, index=responses.index)
    return pd.concat([responses, scores], axis=1)


def _output_names(scale: Scale) -> tuple[str, str, str, str]:
    return scale.id, f"{scale.id}_n_items", f"{scale.id}_positive", f"{scale.id}_positive_share"


def _score_scale(responses: pd.DataFrame, scale: Scale) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(score, items answered, answered items at the positive end) for one scale, item by item."""
    rows = len(responses)
    low, high = scale.range
    total = np.zeros(rows, dtype=np.float32)  # sums of small whole numbers: exact in float32
    answered: npt.NDArray[np.signedinteger[Any]] = np.zeros(
        rows, dtype=np.int8 if len(scale.items) < 128 else np.int16
    )
    positive = np.zeros(rows, dtype=answered.dtype)
    for item in scale.items:
        values = _item_values(responses[item], item)
        answered_here = ~np.isnan(values)
        if answered_here.any():
            lowest, highest = np.nanmin(values), np.nanmax(values)
            if lowest < low or highest > high:
                bad = lowest if lowest < low else highest
                raise ValueError(
                    f"item {item!r} holds {bad:g}, outside the {low}–{high} range of scale {scale.id!r}"
                )
        if item in scale.reverse:
            values = (low + high) - values
        np.add(total, values, out=total, where=answered_here)
        answered += answered_here
        positive += answered_here & (values >= scale.positive_at)
    mean = np.full(rows, np.nan)
    np.divide(total, answered, out=mean, where=answered >= scale.min_answered, dtype=np.float64)
    return mean, answered, positive


def _item_values(column: pd.Series, item: str) -> np.ndarray:
    """An item column as float32 with NaN for anything that is not a number."""
    if not is_numeric_dtype(column.dtype) or is_bool_dtype(column.dtype):
        try:
            column = pd.to_numeric(column, errors="coerce")
        except TypeError as error:  # e.g. lists or dicts in the cells
            raise ValueError(f"item {item!r} holds values that are not numbers: {error}") from None
    return column.to_numpy(dtype=np.float32, na_value=np.nan)

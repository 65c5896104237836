"""Charts for the school and reviewer dashboards, rendered on the server as accessible inline SVG.

Each function takes the data and a few keyword arguments and returns a ``markupsafe.Markup`` of one
``<svg>``, ready to put in a template with ``{{ chart }}``. The page shows the same figures in a data
table beside the chart; the chart is for seeing the shape of them.

What every chart does:

* ``role="img"`` and ``aria-labelledby`` naming its own ``<title>`` and ``<desc>``, with ids made from
  ``chart_id`` (``"belonging"`` → ``belonging-title``, ``belonging-desc``), so several charts on a page
  never share an id.
* All words are ``<text>``, escaped, so they are read, printed, copied and translated like the page.
* No ``style`` attribute and no ``<style>`` element (the Content-Security-Policy allows stylesheets
  from our own origin only). Presentation attributes draw the chart in black on white, which is how it
  prints and how it looks in a PDF without our stylesheet; ``survey/assets/scss/_charts.scss`` adds
  colour through the ``app-chart__…`` classes, mostly by setting ``color``, which the shapes follow
  with ``currentColor``. High contrast (forced colours) modes keep working the same way.
* Nothing is told by colour alone: highlighted and outlying points have their own shape and a text
  marker or label, lines have their own dash pattern and marker, and a legend says what each means.
* ``viewBox`` with ``width="100%"``: the chart shrinks to a 320 px phone without scrolling. The layout
  is narrow (360 units wide) with each row's label above its mark, so text stays readable when small.
* A hidden value (None or NaN) is never drawn; ``suppressed_label`` is written in its place: by
  default the one label of every hidden cell, ``survey.results.policy.HIDDEN`` ("hidden to protect pupils").
  Pass the translated text of the same label, never words that say why it is hidden.

Other words drawn by the charts (legend entries) are in :data:`DEFAULT_TEXT`; pass ``text={...}`` with
translations of any of them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from numbers import Real

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from analysis.funnel import funnel_limits  # the limit formulas live with the fit

from .results.policy import HIDDEN

__all__ = [
    "DEFAULT_TEXT",
    "bar_chart",
    "estimate_chart",
    "funnel_chart",
    "funnel_from_analysis",
    "funnel_limits",
    "gap_chart",
    "trend_chart",
]

#: Words the charts draw besides the caller's labels. Override any of them with ``text={key: ...}``.
DEFAULT_TEXT: dict[str, str] = {
    "estimate": "Score, with its 95% confidence interval",
    "highlighted": "Highlighted",
    "differs": "differs",
    "differs_legend": "Differs: the 95% confidence interval does not include 0",
    "no_difference_legend": "No clear difference: the interval includes 0",
    "target": "National average",
    "benchmark": "National average",
    "limits95": "95% limits",
    "limits998": "99.8% limits",
    "point": "One school",
    "above": "Above the 99.8% limits",
    "below": "Below the 99.8% limits",
    "outside95": "Outside the 95% limits only",
}

WIDTH = 360  # viewBox units; 1 unit is 0.8 px on a 320 px phone (288 px of content)
PAD = 8
FONT = 15  # label text; 12 px on the phone
SMALL = 13  # ticks, notes, point labels
LINE = 19  # line height at FONT
SMALL_LINE = 17
MINUS = "\u2212"
GRID = "#b1b4b6"
MAX_SERIES = 6

_ABOVE = "app-chart__marker app-chart__marker--above"
_BELOW = "app-chart__marker app-chart__marker--below"
_ID = re.compile(r"[A-Za-z][A-Za-z0-9-]*\Z")
_SHAPES = ("circle", "square", "triangle", "diamond", "triangle-down", "cross")
_DASHES = (None, "8 4", "2 3", "10 3 2 3", "4 4", "12 3 2 3 2 3")


# ---------------------------------------------------------------------------------------------
# Public charts
# ---------------------------------------------------------------------------------------------


def estimate_chart(
    rows: Sequence[Mapping] | pd.DataFrame,
    *,
    chart_id: str,
    title: str,
    description: str,
    domain: tuple[float, float] = (1, 5),
    axis_label: str,
    reference: float | None = None,
    reference_label: str | None = None,
    suppressed_label: str = HIDDEN,
    decimals: int = 1,
    text: Mapping[str, str] | None = None,
) -> Markup:
    """Horizontal dot-and-whisker chart: one row per estimate with its confidence interval.

    Parameters
    ----------
    rows : list of dict or pandas.DataFrame
        ``label`` and ``value`` (None or NaN when suppressed); optional ``low`` and ``high`` (the
        interval; no whisker when missing), ``highlight`` (bool: drawn as a diamond with a bold label,
        and a legend entry ``text["highlighted"]``), ``note`` (a short line under the label) and
        ``benchmark`` (the row's own national average: a bar across the row, and a legend entry
        ``text["benchmark"]``).
    chart_id : str
        Unique on the page; letters, digits and hyphens, starting with a letter.
    title, description : str
        The chart's accessible name and description (say what it shows and the main finding).
    domain : (float, float)
        The axis range. Values must lie within it; intervals are cut at its ends.
    axis_label : str
        Under the axis, e.g. "Belonging score (1 to 5)".
    reference, reference_label : float and str, optional
        A dashed vertical line, e.g. the national mean, labelled with ``reference_label`` and its value.
    decimals : int, default 1
        Decimals of the values written beside each row and of the reference value.

    Example: ``estimate_chart([{"label": "Belonging", "value": 3.4, "low": 3.2, "high": 3.6}],
    chart_id="scales", title="Scale scores", description="...", axis_label="Score (1 to 5)")``
    """
    words = _words(text)
    svg = _Svg(chart_id, title, description, "estimate")
    records = _records(rows, ("label", "value"), ("low", "high", "highlight", "note", "benchmark"))
    lo, hi = _domain(domain)
    _require_decimals(decimals)
    for index, record in enumerate(records):
        record["benchmark"] = _optional_number(record["benchmark"], f"benchmark of row {index + 1}")
        if record["benchmark"] is not None and not lo <= record["benchmark"] <= hi:
            raise ValueError(f"benchmark of row {index + 1} is outside the domain {lo} to {hi}")
    if reference is not None:
        reference = _number(reference, "reference")
        if not lo <= reference <= hi:
            raise ValueError(f"reference {reference} is outside the domain {lo} to {hi}")
        if not reference_label:
            raise ValueError("reference_label is required with a reference: say what the line is")
    elif reference_label is not None:
        raise ValueError("reference_label was given without a reference value")
    for record in records:
        _estimate_fields(record, lo, hi)

    y = PAD
    if reference is not None:
        y += LINE + 4  # room for the reference line's label above the rows
    right = [_num(r["value"], decimals) if r["value"] is not None else "" for r in records]
    layout = _RowLayout(svg, right, y)
    scale = _Scale(lo, hi, layout.x0 + 6, layout.x1 - 6)
    for record, value_text in zip(records, right, strict=True):
        highlight = record["highlight"]
        mark_y = layout.row(record["label"], value_text, record["note"], bold=highlight)
        if record["value"] is None:
            layout.suppressed(suppressed_label, mark_y)
            continue
        if record["benchmark"] is not None:
            layout.mark(_benchmark(scale(record["benchmark"]), mark_y), mark_y)
        layout.mark(_whisker(scale, record["low"], record["high"], mark_y), mark_y)
        shape = "diamond" if highlight else "circle"
        cls = "app-chart__marker app-chart__marker--highlight" if highlight else "app-chart__marker"
        layout.mark(_marker(shape, scale(record["value"]), mark_y, 6 if highlight else 5, cls=cls), mark_y)
    lines = []
    if reference is not None:
        x = scale(reference)
        lines.append(_vline(x, PAD + LINE, layout.y, "app-chart__reference", dash="6 3"))
        label = f"{reference_label} {_num(reference, decimals)}"
        lines.append(_text(x, PAD + SMALL, label, cls="app-chart__reference-label", anchor=_anchor(x)))
    y = layout.finish(scale, _ticks(lo, hi), axis_label, lines)

    legend = _Legend(svg, y)
    legend.item(_whisker_symbol(legend.symbol_x, legend.symbol_y, "circle"), words["estimate"])
    if any(r["benchmark"] is not None and r["value"] is not None for r in records):
        legend.item(_benchmark(legend.symbol_x, legend.symbol_y), words["benchmark"])
    if any(r["highlight"] and r["value"] is not None for r in records):
        legend.item(
            _marker("diamond", legend.symbol_x, legend.symbol_y, 6, cls="app-chart__marker--highlight"),
            words["highlighted"],
            bold=True,
        )
    return svg.render(legend.y)


def gap_chart(
    rows: Sequence[Mapping] | pd.DataFrame,
    *,
    chart_id: str,
    title: str,
    description: str,
    axis_label: str,
    suppressed_label: str = HIDDEN,
    decimals: int = 1,
    text: Mapping[str, str] | None = None,
) -> Markup:
    """Forest plot of gaps (a group minus the rest of the school) with confidence intervals around 0.

    Parameters
    ----------
    rows : list of dict or pandas.DataFrame
        ``label``, ``value`` (the gap; None or NaN when suppressed), ``low`` and ``high`` (its
        interval); optional ``highlight`` (bool) and ``note``. A row is highlighted as differing from
        the rest of the school when ``highlight`` is true, or, when it is absent or None, when its
        interval excludes 0. Highlighted rows get a filled square and the word ``text["differs"]``;
        the others an open circle.
    axis_label : str
        Under the axis, e.g. "Gap in belonging score (group minus rest of school)".

    The axis is symmetric around 0, wide enough for every interval and at least −0.5 to +0.5. From
    ``analysis.gaps``: ``rows = table.rename(columns={"fsm": "label", "gap": "value", "ci_low": "low",
    "ci_high": "high", "significant": "highlight"})``.

    Example: ``gap_chart([{"label": "Free school meals", "value": -0.4, "low": -0.6, "high": -0.2}],
    chart_id="gaps", title="Gaps in belonging", description="...", axis_label="Gap")``
    """
    words = _words(text)
    svg = _Svg(chart_id, title, description, "gap")
    records = _records(rows, ("label", "value", "low", "high"), ("highlight", "note"))
    _require_decimals(decimals)
    widest = 0.0
    for record in records:
        _estimate_fields(record, -math.inf, math.inf, highlight_default=None)
        if record["value"] is None:
            continue
        widest = max(
            widest, *(abs(record[key]) for key in ("value", "low", "high") if record[key] is not None)
        )
        if record["highlight"] is None:
            low, high = record["low"], record["high"]
            record["highlight"] = low is not None and high is not None and (low > 0 or high < 0)
    half = max(0.5, _nice_ceil(widest))

    def right_text(record):
        return "" if record["value"] is None else _num(record["value"], decimals, sign=True)

    right = [right_text(r) for r in records]
    flag_width = _width(words["differs"], FONT, bold=True) + 8
    widest_right = [t + ("  " if r["highlight"] else "") for t, r in zip(right, records, strict=True)]
    layout = _RowLayout(
        svg, widest_right, PAD, extra=flag_width if any(r["highlight"] for r in records) else 0
    )
    scale = _Scale(-half, half, layout.x0 + 6, layout.x1 - 6)
    for record, value_text in zip(records, right, strict=True):
        differs = bool(record["highlight"]) and record["value"] is not None
        mark_y = layout.row(record["label"], value_text, record["note"], bold=differs)
        if record["value"] is None:
            layout.suppressed(suppressed_label, mark_y)
            continue
        if differs:
            flag_x = WIDTH - PAD - _width(value_text, FONT, bold=True) - 8
            layout.labels.append(
                _text(
                    flag_x,
                    layout.label_baseline,
                    words["differs"],
                    cls="app-chart__flag",
                    anchor="end",
                    bold=True,
                )
            )
        layout.mark(_whisker(scale, record["low"], record["high"], mark_y), mark_y)
        if differs:
            layout.mark(
                _marker(
                    "square",
                    scale(record["value"]),
                    mark_y,
                    5,
                    cls="app-chart__marker app-chart__marker--differs",
                ),
                mark_y,
            )
        else:
            layout.mark(_marker("circle", scale(record["value"]), mark_y, 5, filled=False), mark_y)
    zero = [_vline(scale(0), PAD, layout.y, "app-chart__zero", width=2)]
    y = layout.finish(scale, [-half, -half / 2, 0.0, half / 2, half], axis_label, zero, sign=True)

    legend = _Legend(svg, y)
    shown = [r for r in records if r["value"] is not None]
    if any(r["highlight"] for r in shown):
        legend.item(
            _marker("square", legend.symbol_x, legend.symbol_y, 5, cls="app-chart__marker--differs"),
            words["differs_legend"],
        )
    if any(not r["highlight"] for r in shown):
        legend.item(
            _marker("circle", legend.symbol_x, legend.symbol_y, 5, filled=False),
            words["no_difference_legend"],
        )
    return svg.render(legend.y)


def bar_chart(
    rows: Sequence[Mapping] | pd.DataFrame,
    *,
    chart_id: str,
    title: str,
    description: str,
    axis_label: str,
    percent: bool = True,
    suppressed_label: str = HIDDEN,
    decimals: int | None = None,
    text: Mapping[str, str] | None = None,
) -> Markup:
    """Horizontal bars with the value written at the end of each bar.

    Parameters
    ----------
    rows : list of dict or pandas.DataFrame
        ``label`` and ``value`` (not negative; None or NaN when suppressed); optional ``highlight``
        (bool: a darker bar with a bold label and value, and a legend entry) and ``note``.
    percent : bool, default True
        Values are percentages (0–100, written "87%", axis 0% to 100%); otherwise the axis runs from
        0 to a round number above the largest value.
    decimals : int, optional
        Decimals of the values written; 0 for percentages and 1 otherwise by default.

    Example: ``bar_chart([{"label": "Year 7", "value": 87.0}, {"label": "Year 8", "value": None}],
    chart_id="rates", title="Response rate by year group", description="...", axis_label="Responded")``
    """
    words = _words(text)
    svg = _Svg(chart_id, title, description, "bar")
    records = _records(rows, ("label", "value"), ("highlight", "note"))
    decimals = (0 if percent else 1) if decimals is None else decimals
    _require_decimals(decimals)
    largest = 0.0
    for index, record in enumerate(records):
        record["value"] = _optional_number(record["value"], f"value of row {index + 1}")
        record["highlight"] = _flag(record["highlight"], index)
        value = record["value"]
        if value is None:
            continue
        if value < 0:
            raise ValueError(f"value of row {index + 1} is negative ({value}); bars start at 0")
        if percent and value > 100:
            raise ValueError(f"value of row {index + 1} is {value}, more than 100%")
        largest = max(largest, value)
    hi = 100.0 if percent else _nice_ceil(largest) if largest > 0 else 1.0

    right = [_num(r["value"], decimals, percent=percent) if r["value"] is not None else "" for r in records]
    # Values are written at the bar ends, so the plot stops short of the widest of them.
    value_width = max(_width(t, FONT, bold=True) for t in right) + 6
    layout = _RowLayout(svg, [""] * len(records), PAD)
    scale = _Scale(0.0, hi, layout.x0, layout.x1 - value_width)
    for record, value_text in zip(records, right, strict=True):
        highlight = record["highlight"]
        mark_y = layout.row(record["label"], "", record["note"], bold=highlight)
        if record["value"] is None:
            layout.suppressed(suppressed_label, mark_y)
            continue
        end = scale(record["value"])
        cls = "app-chart__bar app-chart__bar--highlight" if highlight else "app-chart__bar"
        layout.mark(
            f'<rect class="{cls}" x="{_f(scale.x0)}" y="{_f(mark_y - 8)}" width="{_f(end - scale.x0)}" '
            f'height="16" fill="currentColor"/>',
            mark_y,
        )
        layout.mark(_text(end + 5, mark_y + 5, value_text, cls="app-chart__value", bold=highlight), mark_y)
    y = layout.finish(scale, _ticks(0.0, hi), axis_label, [], percent=percent)

    legend = _Legend(svg, y)
    if any(r["highlight"] and r["value"] is not None for r in records):
        legend.item(
            f'<rect class="app-chart__bar--highlight" x="{_f(legend.symbol_x - 10)}" '
            f'y="{_f(legend.symbol_y - 6)}" width="20" height="12" fill="currentColor"/>',
            words["highlighted"],
            bold=True,
        )
    return svg.render(legend.y)


def trend_chart(
    series: Sequence[Mapping],
    *,
    chart_id: str,
    title: str,
    description: str,
    domain: tuple[float, float],
    axis_label: str,
    suppressed_label: str = HIDDEN,
    percent: bool = False,
) -> Markup:
    """Lines across waves, one per series (up to six), with interval whiskers at each point.

    Parameters
    ----------
    series : list of dict
        ``{"label": "Free school meals", "points": [(wave_label, value, low, high), ...]}``; a point
        may also be ``(wave_label, value)``. A value of None or NaN is hidden: the line has a gap
        there, and the legend says ``"<wave>: hidden to protect pupils"`` under the series' name.
        Waves are shown in the order they first appear.
    domain : (float, float)
        The value axis range; every value must lie within it.
    axis_label : str
        Above the chart, naming the value axis.
    percent : bool, default False
        Values are percentages (ticks written with %).

    Each series has its own colour, dash pattern and marker shape (circle, square, triangle,
    diamond, downward triangle, cross), shown in the legend.

    Example: ``trend_chart([{"label": "All pupils", "points": [("Autumn 2025", 3.4, 3.3, 3.5)]}],
    chart_id="trend", title="Belonging over time", description="...", domain=(1, 5), axis_label="Score")``
    """
    svg = _Svg(chart_id, title, description, "trend")
    lo, hi = _domain(domain)
    parsed = _series(series, lo, hi)
    waves: list[str] = []
    for item in parsed:
        for wave in item["points"]:
            if wave not in waves:
                waves.append(wave)

    ticks = _ticks(lo, hi)
    tick_texts = [_tick(t, ticks, percent=percent) for t in ticks]
    x0 = PAD + max(_width(t, SMALL) for t in tick_texts) + 8
    x1 = WIDTH - PAD
    y = PAD
    parts: list[str] = []
    for line in _wrap(axis_label, x1 - PAD, FONT):
        y += LINE
        parts.append(_text(PAD, y - 5, line, cls="app-chart__axis-label"))
    top, bottom = y + 10, y + 10 + 200
    scale_y = _Scale(lo, hi, bottom, top)
    for tick, label in zip(ticks, tick_texts, strict=True):
        ty = scale_y(tick)
        parts.append(_line("app-chart__grid", x0, ty, x1, ty, stroke=GRID))
        parts.append(_text(x0 - 6, ty + 4, label, cls="app-chart__tick", anchor="end", size=SMALL))
    spacing = (x1 - x0) / max(len(waves), 1)
    inset = spacing / 2
    wave_x = {wave: x0 + inset + i * spacing for i, wave in enumerate(waves)}
    dodge = min(4.0, spacing / (2 * len(parsed) + 2))

    label_bottom = bottom
    for wave, x in wave_x.items():
        for line_number, line in enumerate(_wrap(wave, spacing - 4, SMALL)):
            baseline = bottom + SMALL_LINE * (line_number + 1)
            label_bottom = max(label_bottom, baseline)
            parts.append(_text(x, baseline, line, cls="app-chart__tick", anchor="middle", size=SMALL))

    for number, item in enumerate(parsed):
        offset = (number - (len(parsed) - 1) / 2) * dodge
        shape, dash = _SHAPES[number], _DASHES[number]
        segments: list[list[tuple[float, float]]] = [[]]
        marks: list[str] = []
        for wave in waves:
            point = item["points"].get(wave)
            if point is None or point[0] is None:
                if segments[-1]:
                    segments.append([])
                continue
            value, low, high = point
            x, py = wave_x[wave] + offset, scale_y(value)
            segments[-1].append((x, py))
            if low is not None and high is not None:
                marks.append(
                    f'<path d="M{_f(x)} {_f(scale_y(low))}V{_f(scale_y(high))}'
                    f'M{_f(x - 3)} {_f(scale_y(low))}h6M{_f(x - 3)} {_f(scale_y(high))}h6" '
                    'fill="none" stroke="currentColor" stroke-width="1"/>'
                )
            marks.append(_marker(shape, x, py, 4.5))
        path = "".join(
            "M" + "L".join(f"{_f(x)} {_f(py)}" for x, py in segment)
            for segment in segments
            if len(segment) > 1
        )
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        line_markup = (
            f'<path class="app-chart__line" d="{path}" fill="none" stroke="currentColor" '
            f'stroke-width="2.5"{dash_attr}/>'
            if path
            else ""
        )
        parts.append(
            f'<g class="app-chart__series app-chart__series--{number + 1}">{line_markup}{"".join(marks)}</g>'
        )
    parts.append(_line("app-chart__axis", x0, bottom, x1, bottom, stroke="currentColor"))
    svg.parts.extend(parts)

    legend = _Legend(svg, label_bottom + 8)
    for number, item in enumerate(parsed):
        sx, sy = legend.symbol_x, legend.symbol_y
        dash = _DASHES[number]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        symbol = (
            f'<g class="app-chart__series app-chart__series--{number + 1}">'
            f'<path d="M{_f(sx - 14)} {_f(sy)}h28" fill="none" stroke="currentColor" '
            f'stroke-width="2.5"{dash_attr}/>'
            f"{_marker(_SHAPES[number], sx, sy, 4.5)}</g>"
        )
        legend.item(symbol, item["label"])
        hidden = [wave for wave in waves if wave in item["points"] and item["points"][wave][0] is None]
        if hidden:
            legend.note("; ".join(f"{wave}: {suppressed_label}" for wave in hidden))
    return svg.render(legend.y)


def funnel_chart(
    points: Sequence[Mapping] | pd.DataFrame,
    limits: Sequence[Mapping] | pd.DataFrame,
    *,
    chart_id: str,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    target: float,
    highlight_label: str | None = None,
    suppressed_label: str = HIDDEN,
    percent: bool = False,
    decimals: int = 1,
    max_labels: int = 10,
    text: Mapping[str, str] | None = None,
) -> Markup:
    """Funnel plot: each school's value against its number of respondents, with control limits.

    Parameters
    ----------
    points : list of dict or pandas.DataFrame
        ``label``, ``n`` and ``value`` (None or NaN when suppressed: not drawn), and ``flag``:
        ``"within"``, ``"above"`` or ``"below"`` the 99.8% limits, or ``"above95"``/``"below95"`` for
        outside the 95% limits only. Optional ``flag95`` (``"within"``, ``"above"``, ``"below"``: the
        95% limits), as ``analysis.funnel`` returns, and ``href``: a labelled point outside the
        99.8% limits links its label there (e.g. the school's page).
    limits : list of dict or pandas.DataFrame
        The limit curves: ``n``, ``lower95``, ``upper95``, ``lower998``, ``upper998`` at increasing
        ``n`` (see :func:`funnel_limits`).
    x_label, y_label : str
        The axis names, e.g. "Pupils who answered" and "Belonging score". The y label is written
        above the plot.
    target : float
        The horizontal target line (e.g. the national mean).
    highlight_label : str, optional
        The label of the school being viewed: drawn as a large diamond, labelled, and named in the
        legend. If its value is suppressed the legend says ``"<label>: hidden to protect pupils"`` instead.
    percent : bool, default False
        Values are percentages.
    max_labels : int, default 10
        Most points outside the 99.8% limits that get a text label (the furthest from the target,
        allowing for their ``n``) and have room for it; the others keep their triangle. The table beside
        the chart lists them all.

    Points inside the 95% limits are drawn as one path of dots, so 3,000 schools make under 100 KB.
    Points outside the 99.8% limits are triangles pointing up (above) or down (below), outside the 95%
    limits only open circles.

    From ``analysis.funnel``::

        result = analysis.funnel.funnel(aggregated, "mean")
        points, limits = funnel_from_analysis(result, "mean", label="school_name")
        funnel_chart(points, limits, target=result.attrs["target"], chart_id="funnel", ...)

    Example: ``funnel_chart(points, funnel_limits(3.4, n_max=300, sigma=0.9), chart_id="funnel",
    title="Belonging", description="...", x_label="Pupils", y_label="Score", target=3.4)``
    """
    words = _words(text)
    svg = _Svg(chart_id, title, description, "funnel")
    target = _number(target, "target")
    _require_decimals(decimals)
    if isinstance(max_labels, bool) or not isinstance(max_labels, int) or max_labels < 0:
        raise ValueError(f"max_labels must be a whole number, 0 or more, not {max_labels!r}")
    parsed = _funnel_points(points)
    curves = _funnel_curves(limits)
    if highlight_label is not None and not any(p["label"] == str(highlight_label) for p in parsed):
        raise ValueError(f"highlight_label {highlight_label!r} is not the label of any point")
    shown = [p for p in parsed if p["value"] is not None]

    values = [p["value"] for p in shown] + [target]
    # The axis holds the limits too, from the smallest school plotted on: a limit line drawn
    # outside the plot cannot be read.
    n_min = min([p["n"] for p in shown], default=0.0)
    for key in ("lower95", "upper95", "lower998", "upper998"):
        values += [
            v for n, v in zip(curves["n"], curves[key], strict=True) if n >= n_min and math.isfinite(v)
        ]
    low, high = min(values), max(values)
    pad = max((high - low) * 0.08, abs(target) * 0.02, 0.05)
    low, high = low - pad, high + pad
    step = _nice_step((high - low) / 4)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    if percent:
        low, high = max(low, 0.0), min(high, 100.0)
    y_ticks = _ticks(low, high)
    n_max = max([p["n"] for p in shown] + [1.0])
    x_ticks = _ticks(0.0, _nice_ceil(n_max))
    x_hi = x_ticks[-1]

    y_texts = [_tick(t, y_ticks, percent=percent) for t in y_ticks]
    x0 = PAD + max(_width(t, SMALL) for t in y_texts) + 8
    x1 = WIDTH - PAD - 6
    y = PAD
    for line in _wrap(y_label, WIDTH - 2 * PAD, FONT):
        y += LINE
        svg.parts.append(_text(PAD, y - 5, line, cls="app-chart__axis-label"))
    top, bottom = y + 8, y + 8 + 240
    sx, sy = _Scale(0.0, x_hi, x0, x1), _Scale(low, high, bottom, top)

    clip = f"{chart_id}-plot"
    svg.parts.append(
        f'<clipPath id="{clip}"><rect x="{_f(x0)}" y="{_f(top)}" width="{_f(x1 - x0)}" '
        f'height="{_f(bottom - top)}"/></clipPath>'
    )
    for tick, label in zip(y_ticks, y_texts, strict=True):
        ty = sy(tick)
        svg.parts.append(_line("app-chart__grid", x0, ty, x1, ty, stroke=GRID))
        svg.parts.append(_text(x0 - 6, ty + 4, label, cls="app-chart__tick", anchor="end", size=SMALL))
    for tick in x_ticks:
        tx = sx(tick)
        svg.parts.append(_line("app-chart__grid", tx, top, tx, bottom, stroke=GRID))
        svg.parts.append(
            _text(
                tx,
                bottom + SMALL_LINE,
                _tick(tick, x_ticks),
                cls="app-chart__tick",
                anchor="middle",
                size=SMALL,
            )
        )
    svg.parts.append(_line("app-chart__axis", x0, bottom, x1, bottom, stroke="currentColor"))

    # Limits, then the target, then the points on top.
    curve_parts = []
    for key, dash, cls in (
        ("95", "2 3", "app-chart__limit app-chart__limit--95"),
        ("998", "8 4", "app-chart__limit"),
    ):
        for side in ("lower", "upper"):
            d = "M" + "L".join(
                f"{_f(sx(n))} {_f(sy(v))}" for n, v in zip(curves["n"], curves[side + key], strict=True)
            )
            curve_parts.append(
                f'<path class="{cls}" d="{d}" fill="none" stroke="currentColor" stroke-width="1.5" '
                f'stroke-dasharray="{dash}"/>'
            )
    svg.parts.append(f'<g clip-path="url(#{clip})">{"".join(curve_parts)}</g>')
    dots = "".join(
        f"M{_f(sx(p['n']))} {_f(sy(p['value']))}h0"
        for p in shown
        if not p["out95"] and p["label"] != highlight_label
    )
    if dots:
        svg.parts.append(
            f'<path class="app-chart__points" d="{dots}" fill="none" stroke="currentColor" stroke-width="4" '
            'stroke-linecap="round"/>'
        )
    # The target over the mass of dots, under the outliers.
    ty = sy(target)
    svg.parts.append(
        f'<line class="app-chart__target" x1="{_f(x0)}" x2="{_f(x1)}" y1="{_f(ty)}" y2="{_f(ty)}" '
        'stroke="currentColor" stroke-width="2"/>'
    )

    outside = []
    for p in shown:
        if p["label"] == highlight_label:
            continue
        x, py = sx(p["n"]), sy(p["value"])
        if p["out998"]:
            shape = "triangle" if p["out998"] == "above" else "triangle-down"
            svg.parts.append(
                _marker(shape, x, py, 5, cls=f"app-chart__marker app-chart__marker--{p['out998']}")
            )
            outside.append(p)
        elif p["out95"]:
            svg.parts.append(_marker("circle", x, py, 3.5, filled=False, cls="app-chart__marker--outside95"))

    # Labels: the school being viewed, then the furthest outliers (by |value − target|·√n, the z-score
    # up to a constant for a mean).
    outside.sort(key=lambda p: -abs(p["value"] - target) * math.sqrt(p["n"]))
    placed: list[tuple[float, float, float, float]] = []
    highlighted = [p for p in shown if p["label"] == highlight_label]
    for p in highlighted:
        x, py = sx(p["n"]), sy(p["value"])
        svg.parts.append(_marker("diamond", x, py, 8, cls="app-chart__marker app-chart__marker--highlight"))
        svg.parts.append(_point_label(x, py, p["label"], x0, x1, placed, always=True))
    for p in outside[:max_labels]:
        label = _point_label(sx(p["n"]), sy(p["value"]), p["label"], x0, x1, placed)
        if label and isinstance(p["href"], str) and p["href"]:
            # For pointers: the chart is one image to assistive technology, so its links stay out of
            # the tab order; the table beside the chart links the same pages for everyone.
            label = f'<a class="app-chart__link" href="{escape(p["href"])}" tabindex="-1">{label}</a>'
        svg.parts.append(label)

    y = bottom + SMALL_LINE + 4
    for line in _wrap(x_label, x1 - x0, FONT):
        y += LINE
        svg.parts.append(_text((x0 + x1) / 2, y - 5, line, cls="app-chart__axis-label", anchor="middle"))

    legend = _Legend(svg, y + 6)
    lx, ly = legend.symbol_x, legend.symbol_y
    legend.item(
        f'<path class="app-chart__target" d="M{_f(lx - 14)} {_f(ly)}h28" stroke="currentColor" '
        'stroke-width="2"/>',
        f"{words['target']} ({_num(target, decimals, percent=percent)})",
    )
    for key, dash, cls in (
        ("95", "2 3", "app-chart__limit app-chart__limit--95"),
        ("998", "8 4", "app-chart__limit"),
    ):
        lx, ly = legend.symbol_x, legend.symbol_y
        legend.item(
            f'<path class="{cls}" d="M{_f(lx - 14)} {_f(ly)}h28" fill="none" stroke="currentColor" '
            f'stroke-width="1.5" stroke-dasharray="{dash}"/>',
            words["limits" + key],
        )
    entries = [
        (any(not p["out95"] for p in shown), "point", lambda x, y: _dot(x, y)),
        (
            any(p["out998"] == "above" for p in shown),
            "above",
            lambda x, y: _marker("triangle", x, y, 5, cls=_ABOVE),
        ),
        (
            any(p["out998"] == "below" for p in shown),
            "below",
            lambda x, y: _marker("triangle-down", x, y, 5, cls=_BELOW),
        ),
        (
            any(p["out95"] and not p["out998"] for p in shown),
            "outside95",
            lambda x, y: _marker("circle", x, y, 3.5, filled=False, cls="app-chart__marker--outside95"),
        ),
    ]
    for present, key, draw in entries:
        if present:
            legend.item(draw(legend.symbol_x, legend.symbol_y), words[key])
    if highlight_label is not None:
        if highlighted:
            legend.item(
                _marker("diamond", legend.symbol_x, legend.symbol_y, 7, cls="app-chart__marker--highlight"),
                str(highlight_label),
                bold=True,
            )
        else:
            legend.item("", f"{highlight_label}: {suppressed_label}", bold=True)
    return svg.render(legend.y)


# ---------------------------------------------------------------------------------------------
# Funnel limits
# ---------------------------------------------------------------------------------------------


def funnel_from_analysis(
    result: pd.DataFrame, measure: str, *, label: str, n_max: float | None = None, steps: int = 60
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``points`` and ``limits`` of :func:`funnel_chart` from what ``analysis.funnel.funnel`` returns.

    ``result`` is the funnel frame (with its ``attrs``: target, sigma, phi, tau2, overdispersion),
    ``measure`` the column it compared (``"mean"``, ``"pct_positive"``…) and ``label`` the column that
    names each school (e.g. ``"school_name"``). The curves run from n = 1 to ``n_max`` (default: the
    largest ``n``). Schools that ``analysis.funnel`` left out (suppressed) are not in its result, so
    add them to ``points`` with a None value if the school being viewed may be one of them.

    Example: ``points, limits = funnel_from_analysis(funnel(aggregated, "mean"), "mean", label="school_urn")``
    """
    if not isinstance(result, pd.DataFrame):
        raise ValueError("result must be the DataFrame analysis.funnel.funnel returns")
    missing = [c for c in ("n", measure, label, "flag") if c not in result.columns]
    if missing:
        raise ValueError(
            f"result has no column {', '.join(map(repr, missing))}: is it analysis.funnel's output?"
        )
    attrs = result.attrs
    if "target" not in attrs:
        raise ValueError("result.attrs has no target: is it analysis.funnel's output?")
    points = pd.DataFrame(
        {
            "label": result[label].astype(str).to_numpy(),
            "n": result["n"].to_numpy(dtype=float),
            "value": result[measure].to_numpy(dtype=float),
            "flag": result["flag"].to_numpy(),
        }
    )
    if "flag95" in result.columns:
        points["flag95"] = result["flag95"].to_numpy()
    largest = float(points["n"].max()) if len(points) else 2.0
    limits = funnel_limits(
        attrs["target"],
        n_max=max(float(n_max) if n_max is not None else largest, 2.0),
        sigma=None if measure.startswith("pct") else attrs.get("sigma"),
        percent=measure.startswith("pct"),
        overdispersion=attrs.get("overdispersion"),
        phi=attrs.get("phi", 1.0),
        tau2=attrs.get("tau2", 0.0),
        steps=steps,
    )
    return points, limits


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------


class _Svg:
    """The <svg> element with its title and description, and the parts drawn in it."""

    def __init__(self, chart_id: str, title: str, description: str, kind: str) -> None:
        if not isinstance(chart_id, str) or not _ID.match(chart_id):
            raise ValueError(
                "chart_id must start with a letter and contain only letters, digits and hyphens, "
                f"not {chart_id!r}"
            )
        for name, value in (("title", title), ("description", description)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} is required: a chart must say what it shows")
        self.id, self.title, self.description, self.kind = chart_id, title, description, kind
        self.parts: list[str] = []

    def render(self, height: float) -> Markup:
        height = math.ceil(height + PAD)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" id="{self.id}" '
            f'class="app-chart app-chart--{self.kind}" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
            f'aria-labelledby="{self.id}-title {self.id}-desc" font-family="Arial, sans-serif" '
            f'font-size="{FONT}" fill="#0b0c0c">'
            f'<title id="{self.id}-title">{escape(self.title)}</title>'
            f'<desc id="{self.id}-desc">{escape(self.description)}</desc>'
        )
        return Markup(head + "\n".join(self.parts) + "</svg>")


class _Scale:
    """Maps values in [lo, hi] linearly to viewBox coordinates in [a, b]."""

    def __init__(self, lo: float, hi: float, a: float, b: float) -> None:
        self.lo, self.hi, self.a, self.b = lo, hi, a, b
        self.x0, self.x1 = min(a, b), max(a, b)

    def __call__(self, value: float) -> float:
        return self.a + (value - self.lo) / (self.hi - self.lo) * (self.b - self.a)


class _RowLayout:
    """Rows of (label above, mark below) down the chart, then an axis with gridlines behind the marks.

    Each row's label takes the full width but for the text on its right (the value), so long school
    names wrap onto more lines instead of squeezing the plot.
    """

    def __init__(self, svg: _Svg, right_texts: Sequence[str], y: float, extra: float = 0) -> None:
        self.svg, self.y, self.top = svg, y, y
        self.x0, self.x1 = PAD, WIDTH - PAD
        widest = max([_width(t, FONT, bold=True) for t in right_texts] + [0]) + extra
        self.right = min(widest + 8, WIDTH * 0.45) if widest else 0
        self.labels: list[str] = []
        self.marks: list[str] = []
        self.bands: list[float] = []  # the y of each drawn mark, where gridlines show
        self.label_baseline = y

    def row(self, label: str, right_text: str, note: str | None, *, bold: bool) -> float:
        """Write a row's label (and its value on the right); return the y of the row's mark."""
        lines = _wrap(label, self.x1 - self.x0 - self.right, FONT, bold=bold)
        self.label_baseline = self.y + LINE - 5
        for number, line in enumerate(lines):
            self.labels.append(
                _text(
                    self.x0,
                    self.y + LINE * (number + 1) - 5,
                    line,
                    cls="app-chart__label",
                    bold=bold,
                    halo=True,
                )
            )
        if right_text:
            self.labels.append(
                _text(
                    self.x1,
                    self.label_baseline,
                    right_text,
                    cls="app-chart__value",
                    anchor="end",
                    bold=True,
                    halo=True,
                )
            )
        self.y += LINE * len(lines)
        if note:
            for line in _wrap(note, self.x1 - self.x0, SMALL):
                self.y += SMALL_LINE
                self.labels.append(
                    _text(self.x0, self.y - 4, line, cls="app-chart__note", size=SMALL, halo=True)
                )
        mark_y = self.y + 12
        self.y += 24 + 8
        return mark_y

    def mark(self, markup: str, mark_y: float) -> None:
        """Draw a row's mark; gridlines show behind it."""
        self.marks.append(markup)
        if not self.bands or self.bands[-1] != mark_y:
            self.bands.append(mark_y)

    def suppressed(self, label: str, mark_y: float) -> None:
        self.marks.append(
            _text(
                self.x0 + 6,
                mark_y + 5,
                label,
                cls="app-chart__suppressed",
                size=SMALL,
                italic=True,
                halo=True,
            )
        )

    def finish(
        self,
        scale: _Scale,
        ticks: Sequence[float],
        axis_label: str,
        overlays: Sequence[str],
        *,
        percent: bool = False,
        sign: bool = False,
    ) -> float:
        """Gridlines (behind each mark, not the labels) and tick labels, the axis label, then the marks."""
        bottom = self.y - 4
        grid = []
        bands = [(y - 13, y + 13) for y in self.bands]
        if bands:  # the lowest band reaches the axis, so the ticks read up into the chart
            bands[-1] = (bands[-1][0], bottom)
        for tick in ticks:
            x = scale(tick)
            if bands:
                d = "".join(f"M{_f(x)} {_f(a)}V{_f(b)}" for a, b in bands)
                grid.append(f'<path class="app-chart__grid" d="{d}" stroke="{GRID}" fill="none"/>')
            label = _tick(tick, ticks, percent=percent, sign=sign)
            grid.append(
                _text(
                    x, bottom + SMALL_LINE, label, cls="app-chart__tick", anchor=_anchor(x, 0.1), size=SMALL
                )
            )
        grid.append(_line("app-chart__axis", scale.x0 - 6, bottom, scale.x1 + 6, bottom))
        self.svg.parts.extend(grid + list(overlays) + self.labels + self.marks)
        y = bottom + SMALL_LINE + 2
        for line in _wrap(axis_label, self.x1 - self.x0, FONT):
            y += LINE
            self.svg.parts.append(_text(WIDTH / 2, y - 4, line, cls="app-chart__axis-label", anchor="middle"))
        return y + 6


class _Legend:
    """Legend entries one under another: a symbol in a 28-unit box, then its text (wrapped)."""

    def __init__(self, svg: _Svg, y: float) -> None:
        self.svg, self.y = svg, y
        self.symbol_x = PAD + 14

    @property
    def symbol_y(self) -> float:
        return self.y + LINE / 2 + 2

    def item(self, symbol: str, label: str, *, bold: bool = False) -> None:
        parts = [symbol] if symbol else []
        lines = _wrap(label, WIDTH - 2 * PAD - 36, FONT, bold=bold)
        for number, line in enumerate(lines):
            parts.append(
                _text(PAD + 36, self.y + LINE * (number + 1) - 3, line, cls="app-chart__legend", bold=bold)
            )
        self.svg.parts.append(f'<g class="app-chart__legend-item">{"".join(parts)}</g>')
        self.y += LINE * len(lines) + 4

    def note(self, label: str) -> None:
        for line in _wrap(label, WIDTH - 2 * PAD - 36, SMALL):
            self.y += SMALL_LINE
            self.svg.parts.append(
                _text(PAD + 36, self.y - 5, line, cls="app-chart__suppressed", size=SMALL, italic=True)
            )
        self.y += 4


def _text(
    x: float,
    y: float,
    content: object,
    *,
    cls: str,
    anchor: str = "start",
    size: int = FONT,
    bold: bool = False,
    italic: bool = False,
    halo: bool = False,
) -> str:
    """One line of text; ``halo`` outlines it in white, so it stays legible across lines and dots."""
    attrs = f' x="{_f(x)}" y="{_f(y)}" class="{cls}"'
    if halo:
        attrs += ' stroke="#fff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if size != FONT:
        attrs += f' font-size="{size}"'
    if bold:
        attrs += ' font-weight="bold"'
    if italic:
        attrs += ' font-style="italic"'
    return f"<text{attrs}>{escape(str(content))}</text>"


def _point_label(
    x: float,
    y: float,
    label: str,
    x0: float,
    x1: float,
    placed: list[tuple[float, float, float, float]],
    *,
    always: bool = False,
) -> str:
    """A point's name beside it, on a white halo, clear of the labels already placed.

    Tries the right of the point, then the left, each level with it or a line above or below. A
    label with no free place is left out (its point keeps its marker), unless ``always``.
    """
    width = _width(label, SMALL, bold=always)
    sides = ("start", "end") if x + 9 + width <= x1 else ("end", "start")
    choice = None
    for anchor in sides:
        left = x + 9 if anchor == "start" else x - 9 - width
        if left < x0 - PAD or left + width > x1 + PAD:
            continue
        for shift in (0, -14, 14):
            box = (left, y + shift - 10, left + width, y + shift + 4)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                choice = anchor, box
                break
        if choice:
            break
    if choice is None:
        if not always:
            return ""
        anchor = sides[0]
        left = x + 9 if anchor == "start" else x - 9 - width
        choice = anchor, (left, y - 10, left + width, y + 4)
    anchor, box = choice
    placed.append(box)
    return _text(
        x + 9 if anchor == "start" else x - 9,
        box[3] - 1,
        label,
        cls="app-chart__point-label",
        anchor=anchor,
        size=SMALL,
        bold=always,
        halo=True,
    )


def _marker(
    shape: str, x: float, y: float, r: float, *, filled: bool = True, cls: str = "app-chart__marker"
) -> str:
    """A marker centred on (x, y) with "radius" r; filled in currentColor, or white with an outline."""
    fill = "currentColor" if filled else "#fff"
    paint = f'fill="{fill}" stroke="currentColor" stroke-width="1.5"'
    if shape == "circle":
        return f'<circle class="{cls}" cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" {paint}/>'
    if shape == "square":
        s = r * 0.9
        d = f"M{_f(x - s)} {_f(y - s)}h{_f(2 * s)}v{_f(2 * s)}h{_f(-2 * s)}Z"
    elif shape == "diamond":
        d = f"M{_f(x)} {_f(y - r * 1.2)}L{_f(x + r)} {_f(y)}L{_f(x)} {_f(y + r * 1.2)}L{_f(x - r)} {_f(y)}Z"
    elif shape == "triangle":
        d = f"M{_f(x)} {_f(y - r * 1.2)}L{_f(x + r)} {_f(y + r * 0.8)}L{_f(x - r)} {_f(y + r * 0.8)}Z"
    elif shape == "triangle-down":
        d = f"M{_f(x)} {_f(y + r * 1.2)}L{_f(x + r)} {_f(y - r * 0.8)}L{_f(x - r)} {_f(y - r * 0.8)}Z"
    elif shape == "cross":
        s = r * 0.9
        side = _f(2 * s)
        d = f"M{_f(x - s)} {_f(y - s)}l{side} {side}M{_f(x - s)} {_f(y + s)}l{side} -{side}"
        return f'<path class="{cls}" d="{d}" fill="none" stroke="currentColor" stroke-width="2.5"/>'
    else:  # pragma: no cover - the shapes are ours
        raise ValueError(f"unknown marker shape {shape!r}")
    return f'<path class="{cls}" d="{d}" {paint}/>'


def _dot(x: float, y: float) -> str:
    return (
        f'<path class="app-chart__points" d="M{_f(x)} {_f(y)}h0" fill="none" stroke="currentColor" '
        'stroke-width="4" stroke-linecap="round"/>'
    )


def _whisker(scale: _Scale, low: float | None, high: float | None, y: float) -> str:
    """A horizontal interval line with end caps; an end beyond the axis is cut there, without a cap."""
    if low is None or high is None:
        return ""
    a, b = scale(max(low, scale.lo)), scale(min(high, scale.hi))
    d = f"M{_f(a)} {_f(y)}H{_f(b)}"
    if low >= scale.lo:
        d += f"M{_f(a)} {_f(y - 6)}v12"
    if high <= scale.hi:
        d += f"M{_f(b)} {_f(y - 6)}v12"
    return f'<path class="app-chart__interval" d="{d}" fill="none" stroke="currentColor" stroke-width="2"/>'


def _benchmark(x: float, y: float) -> str:
    """A row's benchmark (e.g. the national average): a tall bar across the row, drawn behind its mark."""
    return (
        f'<line class="app-chart__benchmark" x1="{_f(x)}" y1="{_f(y - 11)}" x2="{_f(x)}" y2="{_f(y + 11)}" '
        'stroke="currentColor" stroke-width="3"/>'
    )


def _whisker_symbol(x: float, y: float, shape: str) -> str:
    d = f"M{_f(x - 13)} {_f(y)}H{_f(x + 13)}M{_f(x - 13)} {_f(y - 6)}v12M{_f(x + 13)} {_f(y - 6)}v12"
    return (
        f'<path class="app-chart__interval" d="{d}" fill="none" stroke="currentColor" stroke-width="2"/>'
        + _marker(shape, x, y, 5)
    )


def _line(cls: str, x1: float, y1: float, x2: float, y2: float, *, stroke: str = "currentColor") -> str:
    return f'<line class="{cls}" x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" stroke="{stroke}"/>'


def _vline(x: float, y1: float, y2: float, cls: str, *, dash: str | None = None, width: float = 1.5) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line class="{cls}" x1="{_f(x)}" x2="{_f(x)}" y1="{_f(y1)}" y2="{_f(y2)}" stroke="currentColor" '
        f'stroke-width="{width}"{dash_attr}/>'
    )


def _anchor(x: float, margin: float = 0.3) -> str:
    """Text anchor that keeps a label near x inside the chart."""
    if x < WIDTH * margin:
        return "start"
    if x > WIDTH * (1 - margin):
        return "end"
    return "middle"


# ---------------------------------------------------------------------------------------------
# Numbers and text
# ---------------------------------------------------------------------------------------------


def _f(value: float) -> str:
    """A coordinate rounded to 1 decimal, without a trailing ".0" (the funnel has thousands)."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _num(value: float, decimals: int = 1, *, percent: bool = False, sign: bool = False) -> str:
    """A value as shown to people: fixed decimals, a true minus sign, optional "+" and "%"."""
    text = f"{abs(value):.{decimals}f}"
    zero = float(text) == 0
    prefix = "" if zero else MINUS if value < 0 else "+" if sign else ""
    return prefix + text + ("%" if percent else "")


def _tick(value: float, ticks: Sequence[float], *, percent: bool = False, sign: bool = False) -> str:
    """A tick label with as few decimals as the ticks need (0.25 steps: 2; whole numbers: 0)."""
    if value == 0:  # "0", not "0.00"
        return "0%" if percent else "0"
    decimals = 0
    while decimals < 3 and any(abs(round(t, decimals) - t) > 1e-9 for t in ticks):
        decimals += 1
    return _num(value, decimals, percent=percent, sign=sign)


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at least ``raw``."""
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if multiple * power >= raw * (1 - 1e-9):
            return multiple * power
    return 10 * power  # pragma: no cover


def _nice_ceil(value: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k at least ``value``."""
    if value <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(value))
    for multiple in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if multiple * power >= value * (1 - 1e-9):
            return multiple * power
    return 10 * power  # pragma: no cover


def _ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    step = _nice_step((hi - lo) / (most - 1))
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + step * 1e-9:
        ticks.append(round(k * step, 10))
        k += 1
    return ticks


def _width(text: str, size: float, *, bold: bool = False) -> float:
    """Estimated width of text in Arial: about 0.56 em a character (0.6 bold)."""
    return len(text) * size * (0.6 if bold else 0.56)


def _wrap(text: object, width: float, size: float, *, bold: bool = False) -> list[str]:
    """Split text into lines that fit ``width`` (estimated), at spaces, or inside over-long words."""
    most = max(4, int(width / (size * (0.6 if bold else 0.56))))
    lines: list[str] = []
    current = ""
    for word in str(text).split():
        while len(word) > most:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:most])
            word = word[most:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= most:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    return lines


# ---------------------------------------------------------------------------------------------
# Checking the arguments
# ---------------------------------------------------------------------------------------------


def _words(text: Mapping[str, str] | None) -> dict[str, str]:
    if text is None:
        return dict(DEFAULT_TEXT)
    if not isinstance(text, Mapping):
        raise ValueError(f"text must be a mapping of words to replace, not {type(text).__name__}")
    unknown = sorted(set(text) - set(DEFAULT_TEXT))
    if unknown:
        raise ValueError(f"text has unknown keys {unknown}; the keys are {sorted(DEFAULT_TEXT)}")
    return {**DEFAULT_TEXT, **{key: str(value) for key, value in text.items()}}


def _records(
    rows: object, required: Sequence[str], optional: Sequence[str], name: str = "rows"
) -> list[dict]:
    """Rows as a list of dicts with every optional key present (None when absent)."""
    if isinstance(rows, pd.DataFrame):
        rows = rows.to_dict("records")
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence):
        raise ValueError(f"{name} must be a list of dicts or a DataFrame, not {type(rows).__name__}")
    if len(rows) == 0:
        raise ValueError(f"{name} is empty: there is nothing to chart")
    records = []
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ValueError(f"{name}[{index}] must be a dict, not {type(row).__name__}")
        missing = [key for key in required if key not in row]
        if missing:
            raise ValueError(f"{name}[{index}] has no {' or '.join(map(repr, missing))}")
        record = {key: row.get(key) for key in (*required, *optional)}
        if "label" in record:
            if _missing(record["label"]) or str(record["label"]).strip() == "":
                raise ValueError(f"{name}[{index}] has an empty label")
            record["label"] = str(record["label"])
        if "note" in record:
            note = record["note"]
            record["note"] = None if _missing(note) or str(note) == "" else str(note)
        records.append(record)
    return records


def _estimate_fields(record: dict, lo: float, hi: float, *, highlight_default: bool | None = False) -> None:
    """Check value, low and high of a row in place: numbers within the domain, low ≤ value ≤ high."""
    label = record["label"]
    value = record["value"] = _optional_number(record["value"], f"value of {label!r}")
    low = record["low"] = _optional_number(record["low"], f"low of {label!r}")
    high = record["high"] = _optional_number(record["high"], f"high of {label!r}")
    highlight = record["highlight"]
    record["highlight"] = (
        highlight_default if highlight is None or _missing(highlight) else _flag(highlight, label)
    )
    if value is None:
        return
    if not lo <= value <= hi:
        raise ValueError(f"value of {label!r} is {value}, outside the domain {lo} to {hi}")
    if (low is None) != (high is None):
        raise ValueError(f"{label!r} has only one end of its interval: give both low and high, or neither")
    if low is not None and not low <= value <= high:
        raise ValueError(f"{label!r} has low {low}, value {value} and high {high}: need low ≤ value ≤ high")


def _flag(value: object, where: object) -> bool:
    if value is None or _missing(value):
        return False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"highlight of {where!r} must be True or False, not {value!r}")


def _missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array: not a scalar missing value
        return False


def _optional_number(value: object, name: str) -> float | None:
    if _missing(value):
        return None
    return _number(value, name)


def _number(value: object, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
        raise ValueError(f"{name} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return number


def _domain(domain: object) -> tuple[float, float]:
    if not isinstance(domain, Sequence) or isinstance(domain, str) or len(domain) != 2:
        raise ValueError(f"domain must be a pair (low, high), not {domain!r}")
    lo, hi = _number(domain[0], "domain low"), _number(domain[1], "domain high")
    if not lo < hi:
        raise ValueError(f"domain must run from low to high, not {lo} to {hi}")
    return lo, hi


def _require_decimals(decimals: object) -> None:
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 3:
        raise ValueError(f"decimals must be 0, 1, 2 or 3, not {decimals!r}")


def _series(series: object, lo: float, hi: float) -> list[dict]:
    """Trend series as [{"label": str, "points": {wave: (value, low, high)}}], checked."""
    if isinstance(series, (str, bytes, Mapping)) or not isinstance(series, Sequence):
        raise ValueError(f"series must be a list of dicts, not {type(series).__name__}")
    if not series:
        raise ValueError("series is empty: there is nothing to chart")
    if len(series) > MAX_SERIES:
        raise ValueError(f"at most {MAX_SERIES} series can be told apart; got {len(series)}")
    parsed = []
    for index, item in enumerate(series):
        if not isinstance(item, Mapping) or "label" not in item or "points" not in item:
            raise ValueError(f"series[{index}] must be a dict with 'label' and 'points'")
        label = str(item["label"])
        points: dict[str, tuple[float | None, float | None, float | None]] = {}
        raw_points = item["points"]
        if isinstance(raw_points, (str, bytes)) or not isinstance(raw_points, Sequence):
            raise ValueError(f"points of series {label!r} must be a list of tuples")
        for point in raw_points:
            if not isinstance(point, Sequence) or isinstance(point, str) or len(point) not in (2, 4):
                raise ValueError(
                    f"each point of series {label!r} must be (wave, value) or (wave, value, low, high), "
                    f"not {point!r}"
                )
            wave = str(point[0])
            if wave in points:
                raise ValueError(f"series {label!r} has wave {wave!r} twice")
            record = {
                "label": f"{label} in {wave}",
                "value": point[1],
                "low": point[2] if len(point) == 4 else None,
                "high": point[3] if len(point) == 4 else None,
                "highlight": None,
            }
            _estimate_fields(record, lo, hi)
            if record["value"] is None:
                points[wave] = (None, None, None)
            else:
                points[wave] = (record["value"], record["low"], record["high"])
        parsed.append({"label": label, "points": points})
    return parsed


_FLAGS = {
    "within": (None, False),
    "above": ("above", True),
    "below": ("below", True),
    "above95": (None, True),
    "below95": (None, True),
}


def _funnel_points(points: object) -> list[dict]:
    records = _records(points, ("label", "n", "value", "flag"), ("flag95", "href"), name="points")
    for record in records:
        n = _number(record["n"], f"n of point {record['label']!r}")
        if n <= 0:
            raise ValueError(f"n of point {record['label']!r} must be positive, not {n}")
        record["n"] = n
        record["value"] = _optional_number(record["value"], f"value of point {record['label']!r}")
        flag = record["flag"]
        if record["value"] is None:
            record["out998"], record["out95"] = None, False
            continue
        if flag not in _FLAGS:
            raise ValueError(
                f"flag of point {record['label']!r} must be one of {', '.join(map(repr, _FLAGS))}, "
                f"not {flag!r}"
            )
        out998, out95 = _FLAGS[flag]
        flag95 = record["flag95"]
        if flag95 is not None and not _missing(flag95):
            if flag95 not in ("within", "above", "below"):
                raise ValueError(
                    f"flag95 of point {record['label']!r} must be within, above or below, not {flag95!r}"
                )
            out95 = out95 or flag95 != "within"
        record["out998"], record["out95"] = out998, out95 or out998 is not None
    return records


def _funnel_curves(limits: object) -> dict[str, list[float]]:
    columns = ("n", "lower95", "upper95", "lower998", "upper998")
    records = _records(limits, columns, (), name="limits")
    curves: dict[str, list[float]] = {column: [] for column in columns}
    for index, record in enumerate(records):
        for column in columns:
            curves[column].append(_number(record[column], f"limits[{index}] {column}"))
    if any(b <= a for a, b in zip(curves["n"], curves["n"][1:], strict=False)):
        raise ValueError("limits must be sorted by increasing n")
    return curves

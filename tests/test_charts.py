"""Charts as SVG: accessible names, no inline styles, escaping, suppression, highlights, size, errors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup, escape

from analysis.funnel import funnel
from survey.charts import (
    bar_chart,
    estimate_chart,
    funnel_chart,
    funnel_from_analysis,
    funnel_limits,
    gap_chart,
    trend_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
SCRIPT = "<script>alert('x')</script>"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def parse(chart: Markup) -> ET.Element:
    """The chart as XML (fails the test if it is not well-formed)."""
    return ET.fromstring(str(chart))


def local(element: ET.Element) -> str:
    return element.tag.removeprefix(SVG)


def classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def texts(root: ET.Element) -> list[str]:
    """Every <text> as a string, in document order."""
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def all_text(root: ET.Element) -> str:
    return " ".join(texts(root))


def plot_marks(root: ET.Element, cls: str = "app-chart__marker") -> list[ET.Element]:
    """Elements with class `cls` drawn in the plot, not in the legend."""
    in_legend = {
        id(child)
        for group in root.iter(f"{SVG}g")
        if "app-chart__legend-item" in classes(group)
        for child in group.iter()
    }
    return [e for e in root.iter() if cls in classes(e) and id(e) not in in_legend]


def legend_texts(root: ET.Element) -> list[str]:
    return [
        "".join(t.itertext())
        for group in root.iter(f"{SVG}g")
        if "app-chart__legend-item" in classes(group)
        for t in group.iter(f"{SVG}text")
    ]


def estimates(**changes) -> list[dict]:
    rows = [
        {"label": "Belonging", "value": 3.42, "low": 3.3, "high": 3.55},
        {"label": "Trusted adult", "value": 3.9, "low": 3.7, "high": 4.1},
        {"label": "Being heard", "value": None},
        {"label": "Safety", "value": 4.2, "low": 4.0, "high": 4.4},
    ]
    for index, change in changes.items():
        rows[int(index.removeprefix("row"))].update(change)
    return rows


GAPS = [
    {"label": "Free school meals", "value": -0.42, "low": -0.7, "high": -0.15},
    {"label": "SEN support", "value": 0.1, "low": -0.2, "high": 0.4},
    {"label": "EHCP", "value": float("nan"), "low": float("nan"), "high": float("nan")},
    {"label": "Looked after", "value": 0.9, "low": 0.2, "high": 1.6},
]

BARS = [
    {"label": "Year 7", "value": 87.0},
    {"label": "Year 8", "value": 64.4},
    {"label": "Year 9", "value": None},
    {"label": "Year 10", "value": 0.0},
]

SERIES = [
    {
        "label": "All pupils",
        "points": [
            ("Autumn 2024", 3.4, 3.3, 3.5),
            ("Summer 2025", 3.5, 3.4, 3.6),
            ("Autumn 2025", 3.6, 3.5, 3.7),
        ],
    },
    {
        "label": "Free school meals",
        "points": [
            ("Autumn 2024", 3.1, 2.9, 3.3),
            ("Summer 2025", None, None, None),
            ("Autumn 2025", 3.3, 3.1, 3.5),
        ],
    },
]


def funnel_points() -> list[dict]:
    return [
        {"label": "Oak School", "n": 120, "value": 3.5, "flag": "within"},
        {"label": "Elm School", "n": 80, "value": 4.4, "flag": "above"},
        {"label": "Ash School", "n": 200, "value": 2.9, "flag": "below"},
        {"label": "Yew School", "n": 60, "value": 3.8, "flag": "above95"},
        {"label": "Fir School", "n": 8, "value": None, "flag": "within"},
    ]


def schools(count: int, seed: int = 3) -> pd.DataFrame:
    """`count` schools as `analysis.aggregate` gives them, three planted well above the rest."""
    rng = np.random.default_rng(seed)
    n = rng.integers(10, 400, count)
    mean = 3.4 + rng.normal(0, 0.9 / np.sqrt(n)) + rng.normal(0, 0.05, count)
    mean[:3] += 1.0
    names = [f"School {i}" for i in range(count)]
    return pd.DataFrame({"school_name": names, "n": n, "mean": mean, "sd": 0.9, "suppressed": False})


COMMON = {"title": "A chart", "description": "What it shows."}


def each_chart(chart_id: str = "chart", **extra) -> dict[str, Markup]:
    """One of each chart, with the same id and any extra arguments for all of them."""
    return {
        "estimate": estimate_chart(estimates(), chart_id=chart_id, axis_label="Score", **COMMON, **extra),
        "gap": gap_chart(GAPS, chart_id=chart_id, axis_label="Gap", **COMMON, **extra),
        "bar": bar_chart(BARS, chart_id=chart_id, axis_label="Responded", **COMMON, **extra),
        "trend": trend_chart(SERIES, chart_id=chart_id, domain=(1, 5), axis_label="Score", **COMMON, **extra),
        "funnel": funnel_chart(
            funnel_points(),
            funnel_limits(3.4, n_max=250, sigma=0.9),
            chart_id=chart_id,
            x_label="Pupils",
            y_label="Score",
            target=3.4,
            **COMMON,
            **extra,
        ),
    }


CHARTS = list(each_chart())


# ---------------------------------------------------------------------------------------------
# Every chart
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", CHARTS)
def test_chart_is_an_svg_image_named_by_its_title_and_description(kind):
    chart = each_chart("belonging")[kind]
    assert isinstance(chart, Markup)
    root = parse(chart)
    assert local(root) == "svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "belonging-title belonging-desc"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert (title.get("id"), title.text) == ("belonging-title", "A chart")
    assert (desc.get("id"), desc.text) == ("belonging-desc", "What it shows.")
    # The title comes first, so it is also the tooltip.
    assert local(root[0]) == "title"


@pytest.mark.parametrize("kind", CHARTS)
def test_chart_scales_to_its_container(kind):
    root = parse(each_chart()[kind])
    _, _, width, height = map(float, root.get("viewBox").split())
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("preserveAspectRatio") == "xMinYMin meet"
    # Nothing is written outside the viewBox, which is what a phone shows.
    for text in root.iter(f"{SVG}text"):
        x, y = float(text.get("x")), float(text.get("y"))
        assert 0 <= x <= width and 0 < y <= height, "".join(text.itertext())


@pytest.mark.parametrize("kind", CHARTS)
def test_chart_has_no_inline_styles_for_the_content_security_policy(kind):
    chart = str(each_chart()[kind])
    root = parse(chart)
    assert not [e for e in root.iter() if "style" in e.attrib]
    assert not [e for e in root.iter() if local(e) in ("style", "script", "foreignObject")]
    assert not re.search(r"\sstyle\s*=", chart)


@pytest.mark.parametrize("kind", CHARTS)
def test_chart_words_are_text_elements(kind):
    """Ticks, labels and legend are real text (read aloud, printed, copied), not drawn shapes."""
    words = all_text(parse(each_chart()[kind]))
    expected = {
        "estimate": ["Belonging", "3.4", "Score", "Score, with its 95% confidence interval"],
        "gap": ["Free school meals", "−0.4", "+0.9", "Gap"],
        "bar": ["Year 7", "87%", "64%", "0%", "100%", "Responded"],
        "trend": ["Autumn 2024", "All pupils", "Free school meals", "Score"],
        "funnel": ["Elm School", "Ash School", "Pupils", "Score", "National average (3.4)", "99.8% limits"],
    }[kind]
    for word in expected:
        assert word in words


def test_markup_goes_into_a_template_unescaped():
    chart = each_chart()["bar"]
    assert str(escape(chart)) == str(chart)


# ---------------------------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------------------------


def test_labels_titles_and_notes_are_escaped():
    chart = estimate_chart(
        estimates(row0={"label": SCRIPT, "note": f"note {SCRIPT}"}),
        chart_id="scales",
        title=f"Title {SCRIPT}",
        description=f"Description & {SCRIPT}",
        axis_label=f"Axis {SCRIPT}",
        reference=3.6,
        reference_label=f"National {SCRIPT}",
    )
    assert "<script" not in str(chart)
    root = parse(chart)
    assert not [e for e in root.iter() if "script" in local(e)]
    words = all_text(root)
    assert "<script>alert('x')</script>" in words
    assert f"note {SCRIPT}" in words
    assert root.find(f"{SVG}title").text == f"Title {SCRIPT}"
    assert root.find(f"{SVG}desc").text == f"Description & {SCRIPT}"


def test_series_wave_and_school_names_are_escaped():
    trend = trend_chart(
        [{"label": SCRIPT, "points": [(f"Wave {SCRIPT}", 3.0), ("Spring", None)]}],
        chart_id="trend",
        domain=(1, 5),
        axis_label="Score",
        **COMMON,
    )
    points = [{"label": SCRIPT, "n": 50, "value": 4.9, "flag": "above"}]
    funnel_svg = funnel_chart(
        points,
        funnel_limits(3.4, n_max=60, sigma=0.9),
        chart_id="funnel",
        x_label="Pupils",
        y_label="Score",
        target=3.4,
        highlight_label=SCRIPT,
        **COMMON,
    )
    for chart in (trend, funnel_svg):
        assert "<script" not in str(chart)
        assert SCRIPT in all_text(parse(chart))


# ---------------------------------------------------------------------------------------------
# Suppressed values
# ---------------------------------------------------------------------------------------------


def test_suppressed_estimate_shows_the_label_and_no_marker():
    root = parse(estimate_chart(estimates(), chart_id="scales", axis_label="Score", **COMMON))
    assert texts(root).count("hidden to protect pupils") == 1
    assert len(plot_marks(root)) == 3  # four rows, one suppressed
    assert len(plot_marks(root, "app-chart__interval")) == 3
    assert "Being heard" in texts(root)


def test_suppressed_label_is_the_callers_translation():
    root = parse(
        estimate_chart(
            estimates(), chart_id="scales", axis_label="Sgôr", suppressed_label="llai na 10", **COMMON
        )
    )
    assert "llai na 10" in texts(root)
    assert "hidden to protect pupils" not in all_text(root)


def test_all_rows_suppressed_draw_no_marks_at_all():
    rows = [{"label": "Belonging", "value": None}, {"label": "Safety", "value": float("nan")}]
    root = parse(estimate_chart(rows, chart_id="scales", axis_label="Score", **COMMON))
    assert texts(root).count("hidden to protect pupils") == 2
    assert plot_marks(root) == []


def test_suppressed_gap_has_no_marker_and_no_value():
    root = parse(gap_chart(GAPS, chart_id="gaps", axis_label="Gap", **COMMON))
    assert texts(root).count("hidden to protect pupils") == 1
    assert len(plot_marks(root)) == 3
    assert "nan" not in all_text(root).lower()


def test_suppressed_bar_is_not_drawn_and_a_zero_bar_still_says_0():
    root = parse(bar_chart(BARS, chart_id="rates", axis_label="Responded", **COMMON))
    bars = plot_marks(root, "app-chart__bar")
    assert len(bars) == 3
    assert [float(b.get("width")) for b in bars][2] == 0
    assert texts(root).count("hidden to protect pupils") == 1
    assert texts(root).count("0%") == 2  # Year 10's value and the axis tick


def test_trend_line_breaks_at_a_suppressed_wave_and_the_legend_says_so():
    root = parse(trend_chart(SERIES, chart_id="trend", domain=(1, 5), axis_label="Score", **COMMON))
    groups = [g for g in root.iter(f"{SVG}g") if "app-chart__series--2" in classes(g)]
    plot = groups[0]
    # Two points left, one on each side of the gap: no line can join them across it.
    lines = [e for e in plot.iter() if "app-chart__line" in classes(e)]
    assert lines == []
    assert len([e for e in plot.iter() if "app-chart__marker" in classes(e)]) == 2
    assert "Summer 2025: hidden to protect pupils" in texts(root)
    # The first series has no gap: one line through three points.
    first = next(g for g in root.iter(f"{SVG}g") if "app-chart__series--1" in classes(g))
    (line,) = [e for e in first.iter() if "app-chart__line" in classes(e)]
    assert line.get("d").count("M") == 1 and line.get("d").count("L") == 2


def test_trend_with_two_runs_either_side_of_a_gap_draws_two_pieces():
    series = [{"label": "Girls", "points": [("A", 3.0), ("B", 3.1), ("C", None), ("D", 3.2), ("E", 3.3)]}]
    root = parse(trend_chart(series, chart_id="trend", domain=(1, 5), axis_label="Score", **COMMON))
    (line,) = plot_marks(root, "app-chart__line")
    assert line.get("d").count("M") == 2


def test_funnel_leaves_out_suppressed_schools_and_says_when_the_viewed_school_is_one():
    root = parse(
        funnel_chart(
            funnel_points(),
            funnel_limits(3.4, n_max=250, sigma=0.9),
            chart_id="funnel",
            x_label="Pupils",
            y_label="Score",
            target=3.4,
            highlight_label="Fir School",
            **COMMON,
        )
    )
    assert "Fir School: hidden to protect pupils" in " ".join(legend_texts(root))  # may wrap
    (dots,) = plot_marks(root, "app-chart__points")
    assert dots.get("d").count("M") == 1  # Oak only: Fir is suppressed, the others have their own marks
    assert plot_marks(root, "app-chart__marker--highlight") == []


# ---------------------------------------------------------------------------------------------
# Highlights: told by shape and text, not colour alone
# ---------------------------------------------------------------------------------------------


def path_points(d: str) -> list[tuple[float, float]]:
    """The absolute points of a path made of M, L, H, V (and their relative forms) and Z."""
    points: list[tuple[float, float]] = []
    x = y = 0.0
    for command, numbers in re.findall(r"([MLHVZmlhvz])([^MLHVZmlhvz]*)", d):
        values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", numbers)]
        if command in "ML":
            x, y = values
        elif command in "ml":
            x, y = x + values[0], y + values[1]
        elif command == "H":
            x = values[0]
        elif command == "h":
            x += values[0]
        elif command == "V":
            y = values[0]
        elif command == "v":
            y += values[0]
        else:
            continue
        points.append((x, y))
    return points


def shape_of(element: ET.Element) -> str:
    """A marker's outline relative to its first point: its shape once colour and position are ignored."""
    if local(element) == "circle":
        return f"circle r={element.get('r')}"
    points = path_points(element.get("d"))
    x0, y0 = points[0]
    return "path " + " ".join(f"{x - x0:.0f},{y - y0:.0f}" for x, y in points)


def test_highlighted_estimate_has_its_own_shape_a_bold_label_and_a_legend_entry():
    chart = estimate_chart(
        estimates(row1={"highlight": True}), chart_id="scales", axis_label="Score", **COMMON
    )
    root = parse(chart)
    markers = plot_marks(root)
    shapes = [shape_of(m) for m in markers]
    assert shapes[0] == shapes[2] == "circle r=5"
    assert not shapes[1].startswith("circle")  # a diamond: a shape of its own, not just a bigger dot
    label = next(t for t in root.iter(f"{SVG}text") if "".join(t.itertext()) == "Trusted adult")
    assert label.get("font-weight") == "bold"
    assert "Highlighted" in legend_texts(root)
    plain = parse(estimate_chart(estimates(), chart_id="scales", axis_label="Score", **COMMON))
    assert "Highlighted" not in legend_texts(plain)


def test_gap_rows_whose_interval_excludes_zero_say_differs():
    root = parse(gap_chart(GAPS, chart_id="gaps", axis_label="Gap", **COMMON))
    flags = [t for t in root.iter(f"{SVG}text") if "app-chart__flag" in classes(t)]
    assert [t.text for t in flags] == ["differs", "differs"]  # free school meals and looked after
    shapes = [shape_of(m) for m in plot_marks(root)]
    assert shapes[1] == "circle r=5"
    assert shapes[0] == shapes[2] != shapes[1]
    open_circle = plot_marks(root)[1]
    assert open_circle.get("fill") == "#fff"  # open, where the differing rows are filled
    assert " ".join(legend_texts(root)) == (
        "Differs: the 95% confidence interval does not include 0 No clear difference: the interval includes 0"
    )


def test_explicit_highlight_overrides_the_interval_and_differs_translates():
    rows = [dict(row, highlight=False) for row in GAPS if row["label"] != "EHCP"]
    rows[1]["highlight"] = True
    root = parse(gap_chart(rows, chart_id="gaps", axis_label="Bwlch", text={"differs": "gwahanol"}, **COMMON))
    flags = [t.text for t in root.iter(f"{SVG}text") if "app-chart__flag" in classes(t)]
    assert flags == ["gwahanol"]


def test_gap_axis_is_symmetric_and_at_least_half_a_point():
    small = [{"label": "Girls", "value": 0.05, "low": -0.1, "high": 0.2}]
    root = parse(gap_chart(small, chart_id="gaps", axis_label="Gap", **COMMON))
    ticks = [t.text for t in root.iter(f"{SVG}text") if "app-chart__tick" in classes(t)]
    assert ticks == ["−0.50", "−0.25", "0", "+0.25", "+0.50"]
    wide = [{"label": "Girls", "value": -1.2, "low": -2.3, "high": -0.1}]
    root = parse(gap_chart(wide, chart_id="gaps", axis_label="Gap", **COMMON))
    ticks = [t.text for t in root.iter(f"{SVG}text") if "app-chart__tick" in classes(t)]
    assert ticks == ["−2.50", "−1.25", "0", "+1.25", "+2.50"]


def test_funnel_outliers_are_triangles_with_their_names():
    root = parse(each_chart()["funnel"])
    above = plot_marks(root, "app-chart__marker--above")
    below = plot_marks(root, "app-chart__marker--below")
    assert len(above) == 1 and len(below) == 1
    assert shape_of(above[0]) != shape_of(plot_marks(root, "app-chart__marker--outside95")[0])
    # Pointing up and down: the apex (first point) is above the base for "above", below it for "below".
    assert shape_of(above[0]) == "path 0,0 5,10 -5,10"
    assert shape_of(below[0]) == "path 0,0 5,-10 -5,-10"
    labels = [t.text for t in root.iter(f"{SVG}text") if "app-chart__point-label" in classes(t)]
    assert sorted(labels) == ["Ash School", "Elm School"]  # not Oak (within) nor Yew (95% only)
    assert {"Above the 99.8% limits", "Below the 99.8% limits", "Outside the 95% limits only"} <= set(
        legend_texts(root)
    )


def test_funnel_marks_the_school_being_viewed():
    root = parse(
        funnel_chart(
            funnel_points(),
            funnel_limits(3.4, n_max=250, sigma=0.9),
            chart_id="funnel",
            x_label="Pupils",
            y_label="Score",
            target=3.4,
            highlight_label="Oak School",
            **COMMON,
        )
    )
    (diamond,) = plot_marks(root, "app-chart__marker--highlight")
    assert shape_of(diamond) == "path 0,0 8,10 0,19 -8,10"
    labels = [t for t in root.iter(f"{SVG}text") if "app-chart__point-label" in classes(t)]
    oak = next(t for t in labels if t.text == "Oak School")
    assert oak.get("font-weight") == "bold"
    assert "Oak School" in legend_texts(root)
    # Oak is drawn once, as the diamond, not also among the dots.
    assert not plot_marks(root, "app-chart__points")


def test_trend_series_differ_in_dash_and_marker_shape():
    series = [
        {"label": f"Group {i}", "points": [("Autumn", 2.0 + i * 0.3), ("Summer", 2.1 + i * 0.3)]}
        for i in range(6)
    ]
    root = parse(trend_chart(series, chart_id="trend", domain=(1, 5), axis_label="Score", **COMMON))
    lines = plot_marks(root, "app-chart__line")
    assert len({line.get("stroke-dasharray") for line in lines}) == 6
    groups = [g for g in root if local(g) == "g" and "app-chart__series" in classes(g)]
    shapes = {shape_of(next(e for e in g if "app-chart__marker" in classes(e))) for g in groups}
    assert len(shapes) == 6
    assert [f"Group {i}" for i in range(6)] == legend_texts(root)


def test_estimate_reference_line_is_labelled_with_its_value():
    root = parse(
        estimate_chart(
            estimates(),
            chart_id="scales",
            axis_label="Score",
            reference=3.6,
            reference_label="National mean",
            **COMMON,
        )
    )
    assert "National mean 3.6" in texts(root)
    (line,) = plot_marks(root, "app-chart__reference")
    assert line.get("stroke-dasharray")  # dashed, not told apart by colour alone


# ---------------------------------------------------------------------------------------------
# Funnel: limits, the analysis adapter and size
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("overdispersion", ["additive", "multiplicative", None])
def test_funnel_limits_match_analysis_at_each_schools_n(overdispersion):
    result = funnel(schools(200), "mean", overdispersion=overdispersion)
    attrs = result.attrs
    curves = funnel_limits(
        attrs["target"],
        n_max=500,
        sigma=attrs["sigma"],
        overdispersion=overdispersion,
        phi=attrs["phi"],
        tau2=attrs["tau2"],
    )
    for column in ("lower95", "upper95", "lower998", "upper998"):
        at_n = np.interp(result["n"], curves["n"], curves[column])
        # Interpolating between 60 log-spaced points: within 0.01 of the exact limit.
        np.testing.assert_allclose(at_n, result[column], atol=0.01)


def test_funnel_limits_for_a_percentage_stay_within_0_and_100():
    curves = funnel_limits(95.0, n_max=400, percent=True, n_min=1)
    assert curves["upper998"].max() == 100
    assert curves["lower998"].min() >= 0
    assert list(curves.columns) == ["n", "lower95", "upper95", "lower998", "upper998"]
    assert curves["n"].iloc[0] == pytest.approx(1) and curves["n"].iloc[-1] == pytest.approx(400)


def test_funnel_takes_analysis_output_through_the_adapter():
    result = funnel(schools(300), "mean")
    points, limits = funnel_from_analysis(result, "mean", label="school_name")
    root = parse(
        funnel_chart(
            points,
            limits,
            chart_id="funnel",
            x_label="Pupils",
            y_label="Score",
            target=result.attrs["target"],
            highlight_label="School 10",
            **COMMON,
        )
    )
    above = (result["flag"] == "above").sum()
    below = (result["flag"] == "below").sum()
    assert above >= 3  # the planted schools
    assert len(plot_marks(root, "app-chart__marker--above")) == above
    assert len(plot_marks(root, "app-chart__marker--below")) == below
    labels = {t.text for t in root.iter(f"{SVG}text") if "app-chart__point-label" in classes(t)}
    assert {"School 0", "School 1", "School 2", "School 10"} <= labels
    between = ((result["flag"] == "within") & (result["flag95"] != "within")).sum()
    assert len(plot_marks(root, "app-chart__marker--outside95")) == between - (
        result.loc[result["school_name"] == "School 10", "flag95"].iloc[0] != "within"
    )


def test_funnel_of_3000_schools_is_a_small_svg():
    result = funnel(schools(3000), "mean")
    points, limits = funnel_from_analysis(result, "mean", label="school_name")
    chart = funnel_chart(
        points,
        limits,
        chart_id="funnel",
        x_label="Pupils",
        y_label="Score",
        target=result.attrs["target"],
        highlight_label="School 2999",
        **COMMON,
    )
    size = len(str(chart).encode())
    assert size < 400_000, f"{size / 1000:.0f} KB"
    root = parse(chart)
    (dots,) = plot_marks(root, "app-chart__points")
    drawn = dots.get("d").count("M") + sum(
        len(plot_marks(root, f"app-chart__marker--{kind}"))
        for kind in ("above", "below", "outside95", "highlight")
    )
    assert drawn == 3000
    # Coordinates are rounded to one decimal.
    assert not re.search(r"\d\.\d\d", dots.get("d"))
    # Labels are capped: the planted outliers are named, not every school outside the limits.
    labels = [t for t in root.iter(f"{SVG}text") if "app-chart__point-label" in classes(t)]
    assert 3 <= len(labels) <= 11


# ---------------------------------------------------------------------------------------------
# Several charts on one page
# ---------------------------------------------------------------------------------------------


def test_two_charts_on_one_page_have_unique_ids_and_each_names_itself():
    page = (
        "<!doctype html><html lang=en><head><title>Dashboard</title></head><body>"
        + str(each_chart("belonging")["funnel"])
        + str(each_chart("safety")["funnel"])
        + str(each_chart("gaps")["estimate"])
        + "</body></html>"
    )
    soup = BeautifulSoup(page, "html5lib")
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), ids
    for svg in soup.find_all("svg"):
        for ref in svg["aria-labelledby"].split():
            assert svg.find(id=ref) is not None, ref
        clip = svg.find("clippath")
        if clip is not None:
            assert svg.find("g", attrs={"clip-path": f"url(#{clip['id']})"}) is not None


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


def test_numbers_are_formatted_for_people():
    root = parse(estimate_chart(estimates(), chart_id="scales", axis_label="Score", **COMMON))
    values = [t.text for t in root.iter(f"{SVG}text") if "app-chart__value" in classes(t)]
    assert values == ["3.4", "3.9", "4.2"]
    root = parse(bar_chart(BARS, chart_id="rates", axis_label="Responded", **COMMON))
    values = [t.text for t in root.iter(f"{SVG}text") if "app-chart__value" in classes(t)]
    assert values == ["87%", "64%", "0%"]
    root = parse(bar_chart(BARS[:2], chart_id="rates", axis_label="Pupils", percent=False, **COMMON))
    values = [t.text for t in root.iter(f"{SVG}text") if "app-chart__value" in classes(t)]
    assert values == ["87.0", "64.4"]


def test_long_labels_wrap_onto_more_lines_instead_of_running_off():
    label = "Being heard and taken seriously by the adults who teach me at school every day"
    root = parse(
        estimate_chart([{"label": label, "value": 3.0}], chart_id="scales", axis_label="Score", **COMMON)
    )
    lines = [t.text for t in root.iter(f"{SVG}text") if "app-chart__label" in classes(t)]
    assert len(lines) >= 2
    assert " ".join(lines) == label
    assert max(len(line) for line in lines) <= 45


def test_rows_can_be_a_dataframe():
    frame = pd.DataFrame(estimates())
    assert texts(parse(estimate_chart(frame, chart_id="scales", axis_label="Score", **COMMON))) == texts(
        parse(estimate_chart(estimates(), chart_id="scales", axis_label="Score", **COMMON))
    )


# ---------------------------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------------------------


def estimate(rows=None, **changes):
    arguments = {"chart_id": "scales", "axis_label": "Score", **COMMON, **changes}
    return estimate_chart(estimates() if rows is None else rows, **arguments)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: estimate(chart_id="two words"), "chart_id must start with a letter"),
        (lambda: estimate(chart_id="1st"), "chart_id must start with a letter"),
        (lambda: estimate(chart_id='a"onload="x'), "chart_id must start with a letter"),
        (lambda: estimate(title=" "), "title is required"),
        (lambda: estimate(description=""), "description is required"),
        (lambda: estimate([]), "rows is empty"),
        (lambda: estimate({"label": "x", "value": 1}), "rows must be a list of dicts"),
        (lambda: estimate([{"value": 3}]), "rows[0] has no 'label'"),
        (lambda: estimate([{"label": "", "value": 3}]), "rows[0] has an empty label"),
        (lambda: estimate([{"label": "Safety", "value": "high"}]), "value of 'Safety' must be a number"),
        (
            lambda: estimate([{"label": "Safety", "value": 5.5}]),
            "value of 'Safety' is 5.5, outside the domain",
        ),
        (
            lambda: estimate([{"label": "Safety", "value": 3, "low": 3.2, "high": 3.5}]),
            "'Safety' has low 3.2, value 3.0 and high 3.5",
        ),
        (lambda: estimate([{"label": "Safety", "value": 3, "low": 2.8}]), "only one end of its interval"),
        (lambda: estimate(domain=(5, 1)), "domain must run from low to high"),
        (lambda: estimate(domain=(1,)), "domain must be a pair"),
        (lambda: estimate(reference=3.5), "reference_label is required"),
        (lambda: estimate(reference=6, reference_label="National"), "reference 6.0 is outside the domain"),
        (lambda: estimate(reference_label="National"), "reference_label was given without a reference"),
        (lambda: estimate(text={"higlighted": "x"}), "text has unknown keys ['higlighted']"),
        (
            lambda: estimate(estimates(row0={"highlight": "yes"})),
            "highlight of 'Belonging' must be True or False",
        ),
        (lambda: estimate(decimals=5), "decimals must be 0, 1, 2 or 3"),
        (
            lambda: gap_chart([{"label": "FSM", "value": 0.2}], chart_id="g", axis_label="Gap", **COMMON),
            "rows[0] has no 'low' or 'high'",
        ),
        (
            lambda: bar_chart([{"label": "Y7", "value": -1}], chart_id="b", axis_label="x", **COMMON),
            "value of row 1 is negative",
        ),
        (
            lambda: bar_chart([{"label": "Y7", "value": 101}], chart_id="b", axis_label="x", **COMMON),
            "value of row 1 is 101.0, more than 100%",
        ),
        (
            lambda: trend_chart(
                [{"label": str(i), "points": [("A", 3)]} for i in range(7)],
                chart_id="t",
                domain=(1, 5),
                axis_label="x",
                **COMMON,
            ),
            "at most 6 series can be told apart; got 7",
        ),
        (
            lambda: trend_chart(
                [{"label": "All", "points": [("A", 3), ("A", 4)]}],
                chart_id="t",
                domain=(1, 5),
                axis_label="x",
                **COMMON,
            ),
            "series 'All' has wave 'A' twice",
        ),
        (
            lambda: trend_chart(
                [{"label": "All", "points": [("A", 3, 2)]}],
                chart_id="t",
                domain=(1, 5),
                axis_label="x",
                **COMMON,
            ),
            "must be (wave, value) or (wave, value, low, high)",
        ),
        (
            lambda: funnel_chart(
                [{"label": "Oak", "n": 50, "value": 3.0, "flag": "high"}],
                funnel_limits(3, n_max=60, sigma=1),
                chart_id="f",
                x_label="n",
                y_label="y",
                target=3,
                **COMMON,
            ),
            "flag of point 'Oak' must be one of 'within', 'above', 'below', 'above95', 'below95', not 'high'",
        ),
        (
            lambda: funnel_chart(
                funnel_points(),
                funnel_limits(3, n_max=60, sigma=1),
                chart_id="f",
                x_label="n",
                y_label="y",
                target=3,
                highlight_label="Beech School",
                **COMMON,
            ),
            "highlight_label 'Beech School' is not the label of any point",
        ),
        (
            lambda: funnel_chart(
                funnel_points(),
                [{"n": 10, "lower95": 1}],
                chart_id="f",
                x_label="n",
                y_label="y",
                target=3,
                **COMMON,
            ),
            "limits[0] has no 'upper95' or 'lower998' or 'upper998'",
        ),
        (lambda: funnel_limits(3.4, n_max=100), "sigma (the pupil-level standard deviation) is required"),
        (lambda: funnel_limits(100, n_max=100, percent=True), "strictly between 0 and 100"),
        (lambda: funnel_limits(3.4, n_max=0.5, sigma=1), "0 < n_min < n_max"),
        (lambda: funnel_limits(3.4, n_max=50, sigma=1, overdispersion="both"), "overdispersion must be"),
        (
            lambda: funnel_from_analysis(schools(5), "mean", label="school_name"),
            "result has no column 'flag'",
        ),
    ],
)
def test_bad_arguments_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_funnel_axis_holds_the_limits_of_the_smallest_school_and_says_national_average():
    """The limits are widest at the smallest school: the value axis reaches them, so no limit line
    is drawn outside the plot, and the centre line is the national average, not a target."""
    from analysis import funnel_limits

    points = [{"label": f"School {n}", "n": n, "value": 3.4, "flag": "within"} for n in (12, 60, 200)]
    limits = funnel_limits(3.4, n_max=200, sigma=1.0, n_min=12)
    chart = funnel_chart(
        points, limits, chart_id="f", target=3.4, x_label="Pupils", y_label="Score", **COMMON
    )
    root = parse(chart)
    ticks = [  # the value axis's ticks (written right-aligned, left of the plot)
        float(t.text)
        for t in root.iter(f"{SVG}text")
        if "app-chart__tick" in classes(t) and t.get("text-anchor") == "end"
    ]
    lowest = float(limits.loc[limits["n"] >= 12, "lower998"].min())
    highest = float(limits.loc[limits["n"] >= 12, "upper998"].max())
    assert min(ticks) <= lowest and max(ticks) >= highest
    assert "National average (3.4)" in legend_texts(root)

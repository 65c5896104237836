"""A school's two-minute summary: it opens the results page, and names only marked differences."""

from __future__ import annotations

import io
import re

import pandas as pd
import pypdf
import pytest
from sqlalchemy import select

import questionnaires
from survey.extensions import db
from survey.models import ReleaseItem
from survey.results import released, store, summary
from survey.results.labels import level_label
from survey.results.table import HIDDEN, Column, Table

from ..conftest import make_app
from ..pages import check_page

SECONDARY = questionnaires.load("national-secondary")


@pytest.fixture(scope="module")
def app():
    """An app for its request context (the summary's words go through the catalogue); no database."""
    return make_app("sqlite://")


PRIMARY = questionnaires.load("national-primary")


def _marked(rows: list[dict]) -> pd.DataFrame:
    base = {"group": None, "level": None, "ci_low": 0.0, "ci_high": 0.0, "meaningful": 0.5, "q_value": 0.001}
    columns = ["kind", "measure", "estimate", "marked", "verdict", *base]
    return pd.DataFrame([base | row for row in rows], columns=columns)


def _scales_table(questionnaire) -> Table:
    rows = []
    for s in questionnaire.scales:
        middle = sum(s.range) / 2
        rows.append(
            {"scale_id": s.id, "scale": s.id, "n": 40, "mean": middle, "ci_low": middle - 0.2,
             "ci_high": middle + 0.2, "pct_positive": 50.0, "national": middle - 0.1, "_suppressed": False}
        )  # fmt: skip
    return Table(id="scales", title="Scales", columns=[Column("scale", "Scale")], rows=rows)


def _summary(questionnaire, marked: pd.DataFrame, **overrides) -> dict:
    arguments = {
        "n": 40,
        "roster": 80,
        "scales": _scales_table(questionnaire),
        "marked": marked,
        "gaps": {},
        "items": pd.DataFrame(columns=["scale", "item", "suppressed"]),
        "national_items": pd.DataFrame(columns=["item", "pct_positive"]),
        "bands": {},
        "respondents": {},
    }
    return summary.school_summary(questionnaire, **(arguments | overrides))


def test_strengths_and_priorities_come_only_from_marked_rows(app):
    marked = _marked(
        [
            {"kind": "benchmark", "measure": "belonging", "estimate": 0.6, "marked": True, "verdict": "higher"},
            # A large difference the markers do not support is never named.
            {"kind": "benchmark", "measure": "safety", "estimate": 0.9, "marked": False,
             "verdict": "too few pupils to tell"},
            {"kind": "benchmark", "measure": "wellbeing", "estimate": -0.7, "marked": True, "verdict": "lower"},
            {"kind": "gap", "group": "fsm", "level": "Y", "measure": "being_heard", "estimate": -0.8,
             "marked": True, "verdict": "lower"},
            {"kind": "gap", "group": "sen", "level": "K", "measure": "being_heard", "estimate": -1.2,
             "marked": False, "verdict": "no clear difference"},
            {"kind": "risk_ratio", "group": "fsm", "level": "Y", "measure": "ll_sent_out", "estimate": 2.4,
             "marked": True, "verdict": "higher", "meaningful": 1.5},
        ]
    )  # fmt: skip
    with app.test_request_context():
        found = _summary(SECONDARY, marked)
        view = summary.summary_view(found, SECONDARY)
    named = {(f["kind"], f["measure"], f["level"]) for part in found["findings"].values() for f in part}
    assert named == {
        ("benchmark", "belonging", None),
        ("benchmark", "wellbeing", None),
        ("gap", "being_heard", "Y"),
        ("risk_ratio", "ll_sent_out", "Y"),
    }
    assert view["strengths"] == [
        "Belonging: clearly above the national average, by 0.60 on the 1 to 5 scale."
    ]
    assert len(view["priorities"]) == 3
    text = " ".join(view["strengths"] + view["priorities"])
    assert SECONDARY.scale("safety").title.get_for("en") not in text
    assert "special educational" not in text.lower()
    assert "Pupils eligible for free school meals score clearly lower on" in text
    assert "1.9" not in text and "2.4 times as likely" in text


def test_at_most_three_strengths_and_three_priorities_surest_first(app):
    scales = [s.id for s in SECONDARY.scales]
    marked = _marked(
        [
            {"kind": "benchmark", "measure": m, "estimate": 0.5 + i / 10, "marked": True, "verdict": "higher",
             "q_value": 0.02 - i / 1000}
            for i, m in enumerate(scales)
        ]
    )  # fmt: skip
    with app.test_request_context():
        found = _summary(SECONDARY, marked)
    chosen = [f["measure"] for f in found["findings"]["strengths"]]
    assert chosen == scales[::-1][:3]


def test_nothing_marked_says_so_and_small_schools_are_warned(app):
    with app.test_request_context():
        view = summary.summary_view(_summary(SECONDARY, _marked([]), n=14, roster=0), SECONDARY)
    assert view["strengths"] == [] and view["priorities"] == []
    assert "With 14 pupils we can’t be sure" in view["uncertainty"]
    assert "No roster was uploaded" in view["response"]


def test_hidden_items_and_grid_cells_show_the_label_never_a_figure(app):
    items = pd.DataFrame(
        [
            {"scale": "belonging", "item": SECONDARY.scale("belonging").items[0], "n": float("nan"),
             "pct_positive": float("nan"), "pct_positive_low": float("nan"), "pct_positive_high": float("nan"),
             "suppressed": True},
            {"scale": "belonging", "item": SECONDARY.scale("belonging").items[1], "n": 30.0,
             "pct_positive": 63.33, "pct_positive_low": 45.5, "pct_positive_high": 78.1, "suppressed": False},
        ]
    )  # fmt: skip
    national = pd.DataFrame({"item": list(items["item"]), "pct_positive": [71.2, 58.04]})
    gaps = {
        ("belonging", "fsm"): pd.DataFrame(
            {"fsm": ["Y", "N"], "comparison": "rest", "n": [float("nan"), 32.0], "suppressed_reason": ["primary", "complementary"]}
        )
    }  # fmt: skip
    with app.test_request_context():
        found = _summary(SECONDARY, _marked([]), items=items, national_items=national, gaps=gaps)
        view = summary.summary_view(found, SECONDARY)
    assert view["items"][0]["hidden"] == HIDDEN and "pct" not in view["items"][0]
    assert (view["items"][1]["pct"], view["items"][1]["national"], view["items"][1]["range"]) == (
        "63%",
        "58%",
        "46% to 78%",
    )
    assert found["items"][1]["pct"] == 63.0  # stored as the page shows it, never more precisely
    assert [row["label"] for row in view["grid"]] == ["Pupils eligible for free school meals"]
    assert view["grid"][0]["cells"][0] == (HIDDEN, "hidden")


def test_primary_scales_say_one_to_three(app):
    with app.test_request_context():
        view = summary.summary_view(_summary(PRIMARY, _marked([])), PRIMARY)
    assert {row["range"] for row in view["scales"]} == {"1 to 3"}
    assert "Score (1 to 3, higher is better)" in str(view["chart"])


# -- on the demo ------------------------------------------------------------------------------------


def test_the_demo_results_page_opens_with_the_summary(demo_client_as):
    page = check_page(demo_client_as("lead@demo.example").get("/school/990001/results"))
    main = page.find("main")
    assert main.find("h2").get_text(strip=True) == "Summary"
    section = main.find("section", class_="app-summary")
    text = section.get_text(" ", strip=True)
    assert "pupils on the school’s roster answered" in text
    assert {"Strengths", "Priorities"} <= {h.get_text(strip=True) for h in section.find_all("h3")}
    for table_id in ("table-summary-scales", "table-summary-grid", "table-summary-items"):
        assert section.find(id=table_id) is not None, table_id
    assert section.find("svg", attrs={"role": "img"}).find("title")
    assert "National average" in section.find("svg").get_text(" ")
    # The summary comes before every other table of the page.
    tables = [t.get("id") for t in main.find_all("table")]
    assert tables.index("table-summary-items") < tables.index("table-scales")


def _parts(app) -> list[dict]:
    """Each school and wave's summary with its gap and lost-learning tables, as the release stores
    them (one item per table and group: survey.results.tables)."""
    with app.app_context():
        release = released.published()
        rows = db.session.execute(
            select(ReleaseItem.kind, ReleaseItem.key, ReleaseItem.payload).where(
                ReleaseItem.release_id == release.id,
                ReleaseItem.kind.in_(["summary", "table:gaps", "table:lost-learning-groups"]),
            )
        ).all()
        parts: dict[str, dict] = {}
        for kind, key, payload in rows:
            value = store.decode(payload)
            if kind == "summary":
                parts.setdefault(key, {})["summary"] = value
                continue
            head, group = key.rsplit(":", 1)
            part = parts.setdefault(head, {})
            if kind == "table:gaps":
                part.setdefault("gaps", {}).update({f"{scale}:{group}": t for scale, t in value.items()})
            else:
                part.setdefault("lost-learning-groups", {})[group] = value
        return list(parts.values())


def test_every_summary_in_the_demo_names_only_what_its_tables_mark(demo_app):
    parts = [p for p in _parts(demo_app) if "summary" in p]
    assert len(parts) >= 20
    named = 0
    for part in parts:
        found = part["summary"]
        gaps = {key: {r["level"]: r for r in table.rows} for key, table in part["gaps"].items()}
        for fact in found["findings"]["strengths"] + found["findings"]["priorities"]:
            named += 1
            if fact["kind"] == "benchmark":
                scale = next(s for s in found["scales"] if s["id"] == fact["measure"])
                assert scale["verdict"] == fact["verdict"]
                assert (scale["mean"] - scale["national"] > 0) == (fact["verdict"] == "higher")
            elif fact["kind"] == "gap":
                row = gaps[f"{fact['measure']}:{fact['group']}"][level_label(fact["group"], fact["level"])]
                assert row["verdict"] == "Lower: a clear difference", fact
            else:
                label = level_label(fact["group"], fact["level"])
                rows = [r for r in part["lost-learning-groups"][fact["group"]].rows if r["level"] == label]
                assert "More likely: a clear difference" in {r["verdict"] for r in rows}, fact
        # Every grid cell agrees with the school's gap tables.
        for row in found["grid"]["rows"]:
            for scale_id, cell in row["cells"].items():
                shown = gaps[f"{scale_id}:{row['group']}"][level_label(row["group"], row["level"])]
                if "hidden" in cell:
                    assert shown["_suppressed"] == cell["hidden"]
                elif cell["verdict"] in ("higher", "lower"):
                    assert shown["verdict"] == f"{cell['verdict'].capitalize()}: a clear difference"
                else:
                    assert shown["verdict"] == cell["verdict"].capitalize()
    assert named > 0


@pytest.mark.parametrize("urn", [990001])
def test_the_summary_shows_no_hidden_figure(demo_client_as, urn):
    page = check_page(demo_client_as("lead@demo.example").get(f"/school/{urn}/results"))
    section = page.find("section", class_="app-summary")
    for row in section.select("#table-summary-items tbody tr"):
        cells = [c.get_text(strip=True) for c in row.find_all(["th", "td"])]
        if HIDDEN in cells:
            assert not any(c.endswith("%") for c in cells[1:3]), cells


# -- the governors' report ------------------------------------------------------------------------

FIGURE = re.compile(r"(?<![\w.])[−-]?\d+(?:\.\d+)?%?")


def _figures(text: str) -> set[str]:
    return {f.replace("−", "-") for f in FIGURE.findall(text)}


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_report_holds_the_pages_figures_and_nothing_the_page_hides(demo_client_as):
    client = demo_client_as("lead@demo.example")
    page = check_page(client.get("/school/990001/results"))
    link = page.find("a", string=re.compile("governors’ report"))
    response = client.get(link["href"])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages, text = _pdf_text(response.data)
    assert pages <= 4
    flat = " ".join(text.split())
    assert "Demoshire Park Secondary School" in flat and "Autumn 2026" in flat
    release = page.find(id="release-note").get_text(" ", strip=True)
    assert re.search(r"Published on (\d+ \w+ \d{4})", release).group(1) in flat
    summary = page.find("section", class_="app-summary")
    for sentence in summary.select("ul li"):  # the strengths and priorities, word for word
        assert " ".join(sentence.get_text(" ", strip=True).split()) in flat
    shown = _figures(page.get_text(" "))
    for row in summary.select("#table-summary-scales tbody tr"):
        cells = [c.get_text(strip=True) for c in row.find_all("td")]
        assert cells[0] in flat and cells[2] in flat  # the school's score and the national average
    # Every figure in the report is one the page shows (a hidden cell's figure is on neither),
    # but for its page numbers, date and URN.
    extra = _figures(flat) - shown - {str(n) for n in range(1, 5)} - _figures(release) - {"990001"}
    assert extra == set()
    assert flat.count(HIDDEN) >= summary.get_text().count(HIDDEN) > 0


def test_the_report_comes_in_welsh(demo_client_as):
    response = demo_client_as("lead@demo.example").get("/school/990001/results/report-cy.pdf")
    assert response.status_code == 200
    pages, text = _pdf_text(response.data)
    flat = " ".join(text.split())
    assert pages <= 4
    for english, welsh in [
        ("Summary", "Crynodeb"),
        ("Strengths", "Cryfderau"),
        ("Lost learning", "Dysgu a gollwyd"),
    ]:
        assert welsh in flat and english not in flat
    assert SECONDARY.scale("belonging").title.get_for("cy") in flat
    assert HIDDEN not in flat and "wedi’i guddio i ddiogelu disgyblion" in flat


def test_an_unknown_report_language_is_not_found(demo_client_as):
    assert demo_client_as("lead@demo.example").get("/school/990001/results/report-fr.pdf").status_code == 404


def test_ranks_are_bands_in_words_and_primary_captions_say_one_to_three(demo_client_as):
    page = check_page(demo_client_as("lead@demo.example").get("/school/990001/results"))
    table = page.find(id="table-scales")
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    assert "Among schools" in headers and not any("ercentile" in h for h in headers)
    column = headers.index("Among schools")
    for row in table.select("tbody tr"):
        text = row.find_all(["th", "td"])[column].get_text(strip=True)
        assert re.fullmatch(r"(Among|In|Anywhere).*\(between \d+% and \d+% of schools score lower\)", text), (
            text
        )
    assert "Average score on each scale (1 to 5" in table.find("caption").get_text()
    primary = check_page(demo_client_as("reviewer@demo.example").get("/review/schools/990010"))
    assert "Average score on each scale (1 to 3" in primary.find(id="table-scales").find("caption").get_text()
    assert "1 to 5" not in primary.get_text()


# -- the reviewer's funnel plot and disproportionality chart ---------------------------------------


def test_the_funnel_plot_reads_on_its_own(demo_client_as):
    client = demo_client_as("reviewer@demo.example")
    page = check_page(client.get("/review/compare"))
    summary = page.find(id="funnel-summary").get_text(" ", strip=True)
    assert summary.startswith("Each dot is a school") and "national average" in summary
    # The demo compares 21 schools: fewer than 30, so the page warns.
    assert (
        "With fewer than 30 schools a funnel plot shows little"
        in page.find(class_="govuk-warning-text").get_text()
    )
    svg = page.find("svg", id="funnel")
    assert svg is not None and "National average" in svg.get_text(" ") and "Target" not in svg.get_text(" ")
    outliers = page.find(id="table-outliers")
    if outliers is not None:  # every school outside the limits links to its page, in the table and the plot
        links = [a["href"] for a in outliers.select("tbody th a")]
        assert links and all(re.match(r"/review/schools/\d+\?", href) for href in links)
        labelled = [a["href"] for a in svg.find_all("a")]
        assert labelled and set(labelled) <= set(links)
        assert check_page(client.get(links[0])).find("h1")


def test_the_disproportionality_legend_says_what_it_plots(demo_client_as):
    page = check_page(demo_client_as("reviewer@demo.example").get("/review/disproportionality"))
    legend = page.find("svg", id="ratios-chart").get_text(" ")
    assert "Risk ratio: how many times as likely as all other pupils" in legend
    assert "Score, with" not in legend
    glossary = [dt.get_text(strip=True) for dt in page.select("dl dt")]
    assert {"Risk ratio", "95% confidence interval", "Difference (percentage points)"} <= set(glossary)


def test_area_figures_have_cluster_robust_intervals_and_show_the_design_effect(demo_client_as):
    page = check_page(demo_client_as("reviewer@demo.example").get("/review/areas"))
    table = page.find(id="table-areas")
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    assert "Design effect" in headers
    national = next(r for r in table.select("tbody tr") if "National" in r.get_text())
    cells = [c.get_text(strip=True) for c in national.find_all(["th", "td"])]
    assert float(cells[headers.index("Design effect")]) > 1  # pupils of a school answer alike
    assert "cluster-robust by school" in page.get_text()


def test_a_reviewer_sees_the_same_summary_on_a_schools_page(demo_client_as):
    primary = check_page(demo_client_as("reviewer@demo.example").get("/review/schools/990010"))
    section = primary.find("section", class_="app-summary")
    assert section is not None and section.find("h2").get_text(strip=True) == "Summary"
    assert {"1 to 3"} == {
        r.find("th").find("span").get_text(strip=True).strip("()")
        for r in section.select("#table-summary-scales tbody tr")
    }
    assert section.find("a", string=re.compile("governors’ report")) is None  # the school's own download

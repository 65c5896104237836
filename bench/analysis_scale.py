"""Scale benchmark of the analysis package: national numbers of pupils, scored and aggregated.

Run it from the repository root (it prints figures; it is not a test):

    .venv/bin/pip install -e '.[dev]'                      # duckdb
    .venv/bin/python bench/analysis_scale.py --pupils 1000000
    .venv/bin/python bench/analysis_scale.py --pupils 9000000

What it does, in one process:

1. Synthesises N pupils answering every single-choice and multiple-choice question of
   ``national-secondary`` (``questionnaires.load``), in ≈ N/400 schools of varied size, with the
   export's compact dtypes: answers as nullable ``Int8`` (int8 values and a mask; about 4% skipped),
   multiple-choice answers, ``school_urn`` and the pupil attributes as ``category``, ``year_group``
   as ``Int8``. Group mixes are like England's secondary schools (FSM about 24% on average but
   from under 5% to over 60% by school, SEN support 13% and EHC plans 3%, the ethnic mix varying
   by school, looked-after 0.6%), and answers follow a pupil trait with school and group effects.
2. Times ``analysis.scores.score`` (every scale) and then ``analysis.aggregate.aggregate`` of the
   belonging scale by school × each of fsm, sen, gender, ethnicity_major, looked_after and
   year_group (means, SDs, t and Wilson intervals, primary and complementary suppression).
3. Registers the same DataFrame with DuckDB and times the same work in SQL: every scale score
   (reverse coding, answered-item counts, minimum answered) into a table, then count, mean and
   standard deviation of belonging by school × each group. DuckDB uses every core; pandas one.
   Most of DuckDB's scoring time is its scan of the DataFrame's nullable columns:
   ``--duckdb-source arrow`` hands it an Arrow copy instead (made beforehand, not timed), which
   is DuckDB's best case. The means of both engines are compared as a check.
4. Prints seconds per step, the resident memory after each phase and its peak
   (``resource.getrusage`` ``ru_maxrss``, the whole process), the pandas ÷ DuckDB ratio, and the
   targets beside the figures: 1 M pupils in under 10 s and at most 1.5× DuckDB; 9 M pupils in
   under 60 s and under 4 GB. "Time" is score + the six aggregations; synthesis is not counted.
   The memory figure for the target is the peak before DuckDB starts (data + pandas analysis;
   it includes the synthesis, whose own peak is printed too).

Exit status: 0 if the targets for this size were met (sizes other than 1 M and 9 M have none),
1 if not.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import questionnaires  # noqa: E402
from analysis.aggregate import aggregate  # noqa: E402
from analysis.scores import score  # noqa: E402

QUESTIONNAIRE = "national-secondary"
MEASURE = "belonging"
GROUPS = ["fsm", "sen", "gender", "ethnicity_major", "looked_after", "year_group"]
PUPILS_PER_SCHOOL = 400
# (pupils, seconds, ratio to DuckDB, peak GB) targets; None where a size has no target.
TARGETS = {1_000_000: (10.0, 1.5, None), 9_000_000: (60.0, None, 4.0)}

ETHNICITIES = ["WHIT", "ASIA", "BLAC", "MIXD", "AOEG", "CHIN", "REFU", "NOBT"]
ETHNIC_SHARES = [0.72, 0.11, 0.06, 0.06, 0.02, 0.005, 0.01, 0.005]  # the rest blank
YEAR_SHARES = {7: 0.17, 8: 0.17, 9: 0.17, 10: 0.16, 11: 0.16, 12: 0.09, 13: 0.08}


# ------------------------------------------------------------------------------------------------
# Measuring
# ------------------------------------------------------------------------------------------------


def peak_gb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def current_gb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**3


class Clock:
    def __init__(self) -> None:
        self.steps: list[tuple[str, str, float]] = []

    def time(self, engine: str, step: str, work):
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
        self.steps.append((engine, step, seconds))
        print(f"  {engine:<7} {step:<34} {seconds:8.2f} s", flush=True)
        return result

    def total(self, engine: str) -> float:
        return sum(seconds for e, _, seconds in self.steps if e == engine)


# ------------------------------------------------------------------------------------------------
# Synthetic export
# ------------------------------------------------------------------------------------------------


def _category(codes: np.ndarray, labels: list) -> pd.Categorical:
    """Codes 0..k-1 (k = blank) as a categorical of `labels` with blanks missing."""
    codes = codes.astype(np.int8 if len(labels) < 127 else np.int32)
    codes[codes >= len(labels)] = -1
    return pd.Categorical.from_codes(codes, categories=labels)


def _choose(rng: np.random.Generator, n: int, shares: list[float]) -> np.ndarray:
    """Index of the chosen share for each of n pupils; len(shares) when none (blank)."""
    return np.searchsorted(np.cumsum(shares), rng.random(n, dtype=np.float32)).astype(np.int16)


def synthesise(pupils: int, seed: int) -> tuple[pd.DataFrame, questionnaires.Questionnaire]:
    rng = np.random.default_rng(seed)
    questionnaire = questionnaires.load(QUESTIONNAIRE)
    schools = max(1, round(pupils / PUPILS_PER_SCHOOL))
    # Varied school sizes (about 100 to 1,500 pupils), each pupil in one school.
    sizes = rng.lognormal(0, 0.5, schools)
    school = np.repeat(np.arange(schools), rng.multinomial(pupils, sizes / sizes.sum())).astype(np.int32)
    urns = np.arange(100_000, 100_000 + schools, dtype=np.int64)

    fsm_rate = rng.beta(2, 6.3, schools).astype(np.float32)[school]  # mean ≈ 24%, by school 3–60%
    fsm = np.where(rng.random(pupils, dtype=np.float32) < fsm_rate, 0, 1).astype(np.int16)
    fsm[rng.random(pupils, dtype=np.float32) < 0.02] = 2
    sen = _choose(rng, pupils, [0.83, 0.13, 0.03])
    gender = _choose(rng, pupils, [0.49, 0.49, 0.01])
    looked_after = _choose(rng, pupils, [0.006, 0.99])
    year = _choose(rng, pupils, list(YEAR_SHARES.values()))
    # The ethnic mix varies between schools: a Dirichlet draw around the national shares.
    mix = rng.dirichlet(np.array([*ETHNIC_SHARES, 0.015]) * 8, schools)
    cumulative = np.cumsum(mix, axis=1, dtype=np.float32)
    u = rng.random(pupils, dtype=np.float32)
    ethnicity = np.zeros(pupils, dtype=np.int16)
    for k in range(len(ETHNICITIES)):
        ethnicity += u > cumulative[school, k]
    del u, cumulative, fsm_rate

    frame = pd.DataFrame(
        {
            "response_id": np.arange(1, pupils + 1, dtype=np.int64),
            "wave_id": pd.array(np.ones(pupils, dtype=np.int32), dtype="Int32"),
            "school_urn": pd.Categorical.from_codes(school, categories=urns),
            "questionnaire": pd.Categorical.from_codes(np.zeros(pupils, np.int8), [QUESTIONNAIRE]),
            "status": pd.Categorical.from_codes(np.zeros(pupils, np.int8), ["complete"]),
            "language": _category(_choose(rng, pupils, [0.93]), ["en", "cy"]),
            "year_group": pd.array((np.array(list(YEAR_SHARES), np.int8))[np.minimum(year, 6)], dtype="Int8"),
            "gender": _category(gender, ["F", "M", "O"]),
            "ethnicity_major": _category(ethnicity, ETHNICITIES),
            "sen": _category(sen, ["N", "K", "E"]),
            "fsm": _category(fsm, ["Y", "N"]),
            "eal": _category(_choose(rng, pupils, [0.18, 0.81]), ["Y", "N"]),
            "looked_after": _category(looked_after, ["Y", "N"]),
        }
    )

    # A pupil trait with school and group effects drives the answers.
    trait = rng.normal(0, 0.3, schools).astype(np.float32)[school]
    trait += rng.standard_normal(pupils, dtype=np.float32)
    trait -= 0.25 * (fsm == 0) + 0.3 * (sen == 1) + 0.45 * (sen == 2) + 0.2 * (looked_after == 0)
    del school, fsm, sen, gender, looked_after, year, ethnicity
    reverse = {item for scale in questionnaire.scales for item in scale.reverse}
    columns: dict[str, object] = {}
    for question in questionnaire.questions:
        if question.type == "single":
            low, high = min(question.values), max(question.values)
            slope = (-0.8 if question.id in reverse else 0.8) * (high - low) / 4
            values = (low + high) / 2 + slope * trait + rng.standard_normal(pupils, dtype=np.float32)
            answer = np.clip(np.rint(values), low, high).astype(np.int8)
            skipped = rng.random(pupils, dtype=np.float32) < 0.04
            columns[question.id] = pd.arrays.IntegerArray(answer, skipped)
        elif question.type == "multiple":
            combos = ["1", "2", "1;3", "2;5", "4"]
            columns[question.id] = _category(_choose(rng, pupils, [0.3, 0.2, 0.1, 0.05, 0.05]), combos)
        elif question.type == "number":
            low, high = question.min or 0, question.max or 20
            answer = rng.integers(low, min(high, 100) + 1, pupils).astype(np.int8)
            columns[question.id] = pd.arrays.IntegerArray(answer, rng.random(pupils, dtype=np.float32) < 0.04)
    frame = pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1)
    return frame, questionnaire


# ------------------------------------------------------------------------------------------------
# The pandas analysis and the same in DuckDB
# ------------------------------------------------------------------------------------------------


def run_pandas(clock: Clock, responses: pd.DataFrame, questionnaire) -> dict[str, pd.DataFrame]:
    scored = clock.time("pandas", "score (every scale)", lambda: score(responses, questionnaire))
    tables = {}
    for group in GROUPS:
        tables[group] = clock.time(
            "pandas",
            f"aggregate school × {group}",
            lambda group=group: aggregate(scored, ["school_urn", group], MEASURE),
        )
    return tables


def _scale_sql(scale) -> str:
    low, high = scale.range
    values = [f"({low + high} - {item})" if item in scale.reverse else item for item in scale.items]
    total = " + ".join(f"coalesce({value}, 0)" for value in values)
    count = " + ".join(f"({item} IS NOT NULL)::INTEGER" for item in scale.items)
    return (
        f"CASE WHEN ({count}) >= {scale.min_answered} THEN ({total})::DOUBLE / ({count}) END AS {scale.id}, "
        f"({count})::TINYINT AS {scale.id}_n_items"
    )


def run_duckdb(
    clock: Clock, responses: pd.DataFrame, questionnaire, threads: int | None, source: str
) -> dict[str, pd.DataFrame]:
    import duckdb

    connection = duckdb.connect()
    if threads:
        connection.execute(f"SET threads TO {threads}")
    if source == "arrow":
        import pyarrow as pa

        started = time.perf_counter()
        table = pa.Table.from_pandas(responses, preserve_index=False)
        print(f"  (DataFrame to Arrow for DuckDB: {time.perf_counter() - started:.2f} s, not counted)")
        connection.register("responses", table)
    else:
        connection.register("responses", responses)
    scales = ", ".join(_scale_sql(scale) for scale in questionnaire.scales)
    keep = ", ".join(["school_urn", *GROUPS])
    clock.time(
        "duckdb",
        "score (every scale)",
        lambda: connection.execute(f"CREATE TABLE scored AS SELECT {keep}, {scales} FROM responses"),
    )
    tables = {}
    for group in GROUPS:
        query = (
            f"SELECT school_urn, {group}, count({MEASURE}) AS n, avg({MEASURE}) AS mean, "
            f"stddev_samp({MEASURE}) AS sd FROM scored GROUP BY school_urn, {group} "
            f"ORDER BY school_urn, {group}"
        )
        tables[group] = clock.time(
            "duckdb", f"aggregate school × {group}", lambda q=query: connection.execute(q).df()
        )
    connection.close()
    return tables


def check_same(pandas_tables: dict[str, pd.DataFrame], duck_tables: dict[str, pd.DataFrame]) -> str:
    """The unsuppressed means agree between the two engines (a check that the work is the same)."""
    worst = 0.0
    for group, table in pandas_tables.items():
        shown = table[~table["suppressed"]]
        duck = duck_tables[group]
        duck = duck[duck["n"] > 0]
        left = shown.assign(school_urn=shown["school_urn"].astype("int64"), key=shown[group].astype("str"))
        right = duck.assign(school_urn=duck["school_urn"].astype("int64"), key=duck[group].astype("str"))
        merged = left.merge(right, on=["school_urn", "key"], suffixes=("", "_duck"))
        if len(merged) != len(shown):
            return f"MISMATCH: {group}: {len(shown)} shown rows, {len(merged)} matched in DuckDB"
        worst = max(worst, float(np.nanmax(np.abs(merged["mean"] - merged["mean_duck"]), initial=0.0)))
    return f"means agree (largest difference {worst:.1e})"


# ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pupils", type=int, default=1_000_000, help="pupils to synthesise (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: every core)")
    parser.add_argument("--skip-duckdb", action="store_true", help="time pandas only")
    parser.add_argument(
        "--duckdb-source",
        choices=["pandas", "arrow"],
        default="pandas",
        help="what DuckDB scans: the registered DataFrame (default) or an Arrow copy of it, made "
        "beforehand and not timed (DuckDB's best case)",
    )
    args = parser.parse_args(argv)

    print(f"analysis scale benchmark: {args.pupils:,} pupils, {os.cpu_count()} CPUs, pandas {pd.__version__}")
    started = time.perf_counter()
    responses, questionnaire = synthesise(args.pupils, args.seed)
    items = sum(1 for q in questionnaire.questions if q.type != "text")
    print(
        f"synthesised {len(responses):,} pupils × {items} questions in "
        f"{responses['school_urn'].cat.categories.size:,} schools in {time.perf_counter() - started:.1f} s; "
        f"frame {responses.memory_usage(deep=True).sum() / 1024**3:.2f} GB, "
        f"RSS {current_gb():.2f} GB"
    )
    print(f"peak memory during synthesis: {peak_gb():.2f} GB")
    share = {
        "FSM": responses["fsm"] == "Y",
        "SEN support": responses["sen"] == "K",
        "EHC plan": responses["sen"] == "E",
        "looked after": responses["looked_after"] == "Y",
    }
    print(", ".join(f"{label} {100 * flags.mean():.1f}%" for label, flags in share.items()))

    clock = Clock()
    print("steps:")
    pandas_tables = run_pandas(clock, responses, questionnaire)
    gc.collect()
    pandas_peak = peak_gb()
    print(f"  after pandas: RSS {current_gb():.2f} GB, peak so far {pandas_peak:.2f} GB")

    duck_total = None
    if not args.skip_duckdb:
        duck_tables = run_duckdb(clock, responses, questionnaire, args.threads, args.duckdb_source)
        duck_total = clock.total("duckdb")
        print(f"  after DuckDB: RSS {current_gb():.2f} GB, peak {peak_gb():.2f} GB")
        print(f"  check: {check_same(pandas_tables, duck_tables)}")

    pandas_total = clock.total("pandas")
    print("\nresults:")
    print(f"  pandas score + 6 aggregations   {pandas_total:8.2f} s")
    if duck_total is not None:
        print(f"  DuckDB score + 6 aggregations   {duck_total:8.2f} s")
        print(f"  ratio pandas / DuckDB           {pandas_total / duck_total:8.2f} ×")
        for step, label in (("score", "score step"), ("aggregate", "aggregations")):
            mine = sum(s for e, name, s in clock.steps if e == "pandas" and name.startswith(step))
            theirs = sum(s for e, name, s in clock.steps if e == "duckdb" and name.startswith(step))
            print(f"    {label:<14} pandas {mine:6.2f} s, DuckDB {theirs:6.2f} s ({mine / theirs:.2f} ×)")
    print(f"  peak memory (data + pandas)     {pandas_peak:8.2f} GB")

    target = TARGETS.get(args.pupils)
    if target is None:
        print(
            f"\ntargets: none for {args.pupils:,} pupils "
            "(1 M: < 10 s and ≤ 1.5× DuckDB; 9 M: < 60 s and < 4 GB)"
        )
        return 0
    seconds, ratio, memory = target
    checks = [(f"time < {seconds:g} s", pandas_total < seconds, f"{pandas_total:.2f} s")]
    if ratio is not None and duck_total is not None:
        checks.append(
            (f"≤ {ratio:g}× DuckDB", pandas_total / duck_total <= ratio, f"{pandas_total / duck_total:.2f}×")
        )
    if memory is not None:
        checks.append((f"memory < {memory:g} GB", pandas_peak < memory, f"{pandas_peak:.2f} GB"))
    print(f"\ntargets for {args.pupils:,} pupils:")
    for label, met, figure in checks:
        print(f"  {label:<18} {figure:>10}  {'met' if met else 'NOT MET'}")
    return 0 if all(met for _, met, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

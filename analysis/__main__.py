"""Run the analysis on a response export from the shell: ``python -m analysis COMMAND …``.

Every command reads a response export (CSV or Parquet, see ``docs/data-format.md``), keeps the
rows of the questionnaire given by ``--questionnaire`` whose status is ``complete`` (add
``--include-partial`` to keep in-progress responses too), scores them, and writes one table (CSV or
Parquet, by the extension of ``--out``; ``--out -`` writes CSV to standard output)::

    python -m analysis score --questionnaire national-secondary --in responses.csv --out scored.parquet
    python -m analysis aggregate --questionnaire national-secondary --in responses.csv \\
        --measure belonging --by school_urn,fsm --out belonging_by_fsm.csv
    python -m analysis gaps ... --measure belonging --group fsm [--reference N] [--national]
    python -m analysis reliability ... --measure belonging [--by year_group] [--items]
    python -m analysis funnel ... --measure belonging [--statistic pct_positive] [--target 3.5]
    python -m analysis disproportionality ... --outcome belonging_positive --group sen [--by school_urn]

``audit`` instead reads a table of published count cells and checks it with the linear-programming
attacker of `analysis.disclosure` (no questionnaire; exit status 1 when it finds anything)::

    python -m analysis audit --in cells.csv --dims la,school,fsm [--hierarchy school:la] [--out -]

Every error is one line, ``error: …``, on standard error, with exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from questionnaires import Questionnaire

__all__ = ["main"]

PROG = "python -m analysis"


class _UsageError(Exception):
    """A mistake on the command line; argparse would otherwise print usage and exit."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(_usage_message(message))


def _usage_message(message: str) -> str:
    if message.startswith("argument COMMAND: invalid choice:"):
        chosen = message.split("invalid choice:", 1)[1].split("(choose from")[0].strip()
        return f"unknown command {chosen}: use one of {', '.join(_COMMANDS)}"
    if message.startswith("the following arguments are required: COMMAND"):
        return f"no command given: use one of {', '.join(_COMMANDS)}"
    return message


# ------------------------------------------------------------------------------------------------
# Shared steps
# ------------------------------------------------------------------------------------------------


def _columns(text: str | None) -> list[str]:
    """`--by school_urn,fsm` as ["school_urn", "fsm"]."""
    if text is None:
        return []
    return [part.strip() for part in text.split(",") if part.strip()]


def _load(args: argparse.Namespace) -> Questionnaire:
    import questionnaires

    try:
        return questionnaires.load(args.questionnaire)
    except questionnaires.QuestionnaireError as error:
        raise ValueError("; ".join(error.problems)) from None
    except FileNotFoundError as error:
        message = str(error)
        raise ValueError(message[0].lower() + message[1:]) from None


def _responses(args: argparse.Namespace, questionnaire: Questionnaire) -> pd.DataFrame:
    """The export's rows for this questionnaire, complete ones only unless --include-partial."""
    from .io import read_responses

    frame = read_responses(args.input, questionnaire)
    name = Path(args.input).name
    mine = (frame["questionnaire"] == questionnaire.id).to_numpy(dtype=bool, na_value=False)
    if not mine.any():
        found = ", ".join(str(v) for v in frame["questionnaire"].dropna().unique()[:5]) or "none"
        raise ValueError(f"{name} has no responses to {questionnaire.id!r} (it has: {found})")
    keep = ["complete", "in_progress"] if args.include_partial else ["complete"]
    mine = mine & frame["status"].isin(keep).to_numpy(dtype=bool, na_value=False)
    if not mine.any():
        raise ValueError(f"{name} has no {' or '.join(keep)} responses to {questionnaire.id!r}")
    return frame.loc[mine] if not mine.all() else frame


def _scale(questionnaire: Questionnaire, scale: str) -> str:
    from ._checks import require_scale

    return require_scale(questionnaire, scale).id


def _require(frame: pd.DataFrame, columns: Sequence[str], args: argparse.Namespace) -> None:
    from ._checks import require_columns

    require_columns(frame, columns, Path(args.input).name)


def _like(value: str | None, column: pd.Series) -> object:
    """A --reference given as text, as the column's own type (year_group 7, not "7")."""
    if value is None:
        return None
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if pd.api.types.is_bool_dtype(dtype):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    elif pd.api.types.is_numeric_dtype(dtype):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    return value


def _scored(args: argparse.Namespace, questionnaire: Questionnaire) -> pd.DataFrame:
    from .scores import score

    return score(_responses(args, questionnaire), questionnaire)


def _min_n(args: argparse.Namespace) -> int:
    from ._checks import require_min_n

    return require_min_n(args.min_n)


# ------------------------------------------------------------------------------------------------
# Commands: each returns the table to write
# ------------------------------------------------------------------------------------------------


def _score(args: argparse.Namespace, questionnaire: Questionnaire) -> pd.DataFrame:
    return _scored(args, questionnaire)


def _aggregate(args: argparse.Namespace, questionnaire: Questionnaire) -> pd.DataFrame:
    from .aggregate import aggregate

    measure = _scale(questionnaire, args.measure)
    by = _columns(args.by) or ["school_urn"]
    min_n = _min_n(args)
    scored = _scored(args, questionnaire)
    _require(scored, by, args)
    return aggregate(scored, by, measure, min_n=min_n, level=args.level)


def _gaps(args: argparse.Namespace, questionnaire: Questionnaire) -> pd.DataFrame:
    from .gaps import gaps

    measure = _scale(questionnaire, args.measure)
    by = None if args.national else (_columns(args.by) or ["school_urn"])
    min_n = _min_n(args)
    scored = _scored(args, questionnaire)
    _require(scored, [*(by or []), args.group], args)
    reference = _like(args.reference, scored[args.group])
    return gaps(scored, args.group, measure, by=by, reference=reference, min_n=min_n, level=args.level)


def _reliability(args: argparse.Namespace, questionnaire: Questionnaire) -> pd.DataFrame:
    from .reliability import reliability

    measure = _scale(questionnaire, args.measure)
    by = _columns(args.by) or None
    min_n = _min_n(args)
    responses = _responses(args, questionnaire)
    _require(responses, by or [], args)
    return reliability(
        responses, questionnaire, measure, by=by, level=args.level, items=args.items, min_n=min_n
    )


def _funnel(args: argparse.Namespace, questionnaire: Questionnaire) -> pd.DataFrame:
    from .aggregate import aggregate
    from .funnel import funnel

    measure = _scale(questionnaire, args.measure)
    min_n = _min_n(args)
    scored = _scored(args, questionnaire)
    schools = aggregate(scored, ["school_urn"], measure, min_n=min_n)
    overdispersion = None if args.overdispersion == "none" else args.overdispersion
    return funnel(schools, args.statistic, target=args.target, overdispersion=overdispersion)


def _disproportionality(args: argparse.Namespace, questionnaire: Questionnaire) -> pd.DataFrame:
    from .disproportionality import disproportionality

    by = _columns(args.by) or None
    scored = _scored(args, questionnaire)
    _require(scored, [args.outcome, args.group, *(by or [])], args)
    reference = _like(args.reference, scored[args.group])
    return disproportionality(scored, args.outcome, args.group, by=by, reference=reference)


def _audit(args: argparse.Namespace, questionnaire: object = None) -> pd.DataFrame:
    from ._cells_io import name_lines, read_cells
    from ._checks import require_min_n
    from .disclosure import audit

    dims = _columns(args.dims)
    if not dims:
        raise ValueError("--dims must name the dimension columns, e.g. --dims la,school,fsm")
    hierarchy: dict[str, list[str]] = {}
    for pair in _columns(args.hierarchy):
        child, _, parent = pair.partition(":")
        if not child or not parent:
            raise ValueError(f"--hierarchy {pair!r}: write CHILD:PARENT, e.g. school:la")
        hierarchy.setdefault(child.strip(), []).append(parent.strip())
    require_min_n(args.min_n)
    cells = read_cells(args.input, dims, args.hidden)
    try:
        findings = audit(
            cells, dims, hidden=args.hidden, hierarchy=hierarchy, min_n=args.min_n,
            interval=args.interval, events=args.events,
        )  # fmt: skip
    except ValueError as error:
        raise ValueError(name_lines(str(error), args.input)) from None
    args.findings = len(findings)
    args.checked = findings.attrs.get("checked", 0)
    return findings


Command = Callable[[argparse.Namespace, "Questionnaire"], pd.DataFrame]
_COMMANDS: dict[str, tuple[Command, str]] = {
    "score": (_score, "score every scale for every response (pupil-level output)"),
    "aggregate": (_aggregate, "mean and %% positive of a scale by group, small groups suppressed"),
    "gaps": (_gaps, "gap in a scale between each level of a group and the rest, per school"),
    "reliability": (_reliability, "Cronbach's alpha and McDonald's omega of a scale"),
    "funnel": (_funnel, "funnel-plot limits and flags for each school's mean of a scale"),
    "disproportionality": (_disproportionality, "risk ratios of an outcome for each level of a group"),
    "audit": (_audit, "attack a table of published counts: every small count shown or pinned down"),
}


# ------------------------------------------------------------------------------------------------
# The command line
# ------------------------------------------------------------------------------------------------


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Statistics on a pupil voice response export (CSV or Parquet).",
        epilog="Each command's options: python -m analysis COMMAND --help",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (run, summary) in _COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.set_defaults(run=run)
        if name == "audit":
            _audit_arguments(sub)
            continue
        common = sub.add_argument_group("input and output")
        common.add_argument("--questionnaire", required=True, metavar="ID", help="e.g. national-secondary")
        common.add_argument(
            "--in", dest="input", required=True, metavar="FILE", help="responses .csv or .parquet"
        )
        common.add_argument(
            "--out", required=True, metavar="FILE", help="result .csv or .parquet; - for CSV on stdout"
        )
        common.add_argument(
            "--include-partial",
            action="store_true",
            help="keep in-progress responses (default: complete only)",
        )
        common.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
        if name in ("aggregate", "gaps", "reliability", "funnel"):
            sub.add_argument("--measure", required=True, metavar="SCALE", help="the scale, e.g. belonging")
        if name in ("aggregate", "gaps", "reliability", "funnel"):
            sub.add_argument(
                "--min-n", type=int, default=10, metavar="N", help="suppress groups under N (≥ 10)"
            )
        if name in ("aggregate", "gaps", "reliability"):
            sub.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
        if name == "aggregate":
            sub.add_argument(
                "--by", metavar="COLS", help="comma-separated grouping columns (default school_urn)"
            )
        if name == "gaps":
            sub.add_argument("--group", required=True, metavar="COL", help="pupil attribute, e.g. fsm")
            sub.add_argument("--by", metavar="COLS", help="unit of comparison (default school_urn)")
            sub.add_argument("--national", action="store_true", help="one row per level, nationally")
            sub.add_argument("--reference", metavar="LEVEL", help="compare with this level, not the rest")
        if name == "reliability":
            sub.add_argument("--by", metavar="COLS", help="comma-separated grouping columns (default none)")
            sub.add_argument("--items", action="store_true", help="one row per item instead")
        if name == "funnel":
            sub.add_argument(
                "--statistic",
                choices=["mean", "pct_positive"],
                default="mean",
                help="what to compare (default mean)",
            )
            sub.add_argument("--target", type=float, help="target value (default: the mean over all pupils)")
            sub.add_argument(
                "--overdispersion",
                choices=["additive", "multiplicative", "none"],
                default="additive",
                help="how limits allow for overdispersion (default additive)",
            )
        if name == "disproportionality":
            sub.add_argument("--outcome", required=True, metavar="COL", help="e.g. belonging_positive")
            sub.add_argument("--group", required=True, metavar="COL", help="pupil attribute, e.g. sen")
            sub.add_argument("--by", metavar="COLS", help="comma-separated grouping columns (default none)")
            sub.add_argument("--reference", metavar="LEVEL", help="compare with this level, not the rest")
    return parser


def _audit_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--in", dest="input", required=True, metavar="FILE", help="cells .csv or .parquet")
    sub.add_argument("--dims", required=True, metavar="COLS", help="dimension columns, e.g. la,school,fsm")
    sub.add_argument("--hierarchy", metavar="PAIRS", help="nesting as CHILD:PARENT pairs, e.g. school:la")
    sub.add_argument(
        "--hidden", default="hidden", metavar="COL", help="the hidden flag column (default hidden)"
    )
    sub.add_argument("--events", metavar="COL", help="the dimension whose levels are event counts")
    sub.add_argument("--min-n", type=int, default=10, metavar="N", help="smallest count shown (≥ 10)")
    sub.add_argument("--interval", type=int, default=10, metavar="N", help="protection interval (default 10)")
    sub.add_argument(
        "--out", default="-", metavar="FILE", help="findings .csv or .parquet (default - : stdout)"
    )
    sub.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)


def _one_line(error: BaseException) -> str:
    if isinstance(error, KeyError) and error.args:
        text = str(error.args[0])
    elif isinstance(error, OSError) and error.strerror and error.filename:
        text = f"{error.filename}: {error.strerror}"
    else:
        text = str(error)
    text = "; ".join(line.strip() for line in text.splitlines() if line.strip())
    if not isinstance(error, (ValueError, KeyError, TypeError, OSError, _UsageError)):
        text = f"{type(error).__name__}: {text} (a bug? rerun with --traceback and report it)"
    return text or type(error).__name__


def _write(table: pd.DataFrame, out: str) -> str:
    from .io import write_table

    if out == "-":
        frame = table.reset_index() if any(n is not None for n in table.index.names) else table
        frame.to_csv(sys.stdout, index=False)
        return ""
    path = write_table(table, out)
    rows = f"{len(table):,} row{'s' if len(table) != 1 else ''}"
    if "suppressed" in table.columns:
        hidden = int(table["suppressed"].fillna(False).astype(bool).sum())
        rows += f" ({hidden:,} suppressed)"
    return f"wrote {rows} to {path}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 done, 2 error). See the module docstring.

    Examples
    --------
    >>> from analysis.__main__ import main
    >>> main(["frobnicate"])
    2
    """
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    traceback = "--traceback" in argv
    try:
        args = parser.parse_args(argv)
        if args.out != "-":
            from .io import _kind

            _kind(Path(args.out))  # an unknown output type fails before the work, not after
        questionnaire = _load(args) if args.command != "audit" else None
        table = args.run(args, questionnaire)
        message = _write(table, args.out)
        if args.command == "audit":
            print(f"audit: {args.checked:,} hidden small counts checked, {args.findings:,} findings",
                  file=sys.stderr)  # fmt: skip
            if message:
                print(message)
            return 1 if args.findings else 0
    except SystemExit as exit:  # --help
        return exit.code if isinstance(exit.code, int) else 0
    except BrokenPipeError:  # `--out - | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ModuleNotFoundError as error:
        if traceback:
            raise
        if error.name and error.name.startswith("analysis."):
            command = error.name.rsplit(".", 1)[1]
            print(f"error: {command} is not available yet: {error.name} is missing", file=sys.stderr)
        else:
            print(f"error: {_one_line(error)}", file=sys.stderr)
        return 2
    except Exception as error:
        if traceback:
            raise
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return 2
    if message:
        print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())

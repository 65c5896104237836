"""Command-line tasks: `flask --app survey COMMAND --help` for each."""

from __future__ import annotations

import csv
import sys
from datetime import date

import click
from flask import Flask
from flask.cli import with_appcontext

import questionnaires as questionnaire_files

from .extensions import db
from .importers import ImportProblems
from .models import Role, ScopeKind, Wave

ACTOR = "cli"
# Ids and URNs are database integers: a larger number is "no such wave" or "no such school", not an overflow.
DATABASE_INTEGER = click.IntRange(0, 2**31 - 1)


def register(app: Flask) -> None:
    for command in (
        load_questionnaires,
        import_schools,
        create_wave,
        import_roster,
        issue_codes,
        create_user,
        demo,
        synthetic,
        export_responses,
        purge,
    ):
        app.cli.add_command(command)
    from .results.cli import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)


def _school(urn: int):
    from .data.schools import by_urn

    school = by_urn(urn)
    if school is None:
        raise click.BadParameter(
            f"no school with URN {urn}; import the schools register first", param_hint="--school"
        )
    return school


def _wave(wave_id: int) -> Wave:
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        raise click.BadParameter(f"there is no wave {wave_id}", param_hint="--wave")
    return wave


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date like 2026-11-30") from None


def _commit_or_fail(action):
    """Run `action`; commit if it worked, otherwise roll back everything and explain."""
    try:
        result = action()
    except (ImportProblems, ValueError, LookupError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    return result


@click.command("load-questionnaires")
@with_appcontext
def load_questionnaires() -> None:
    """Check and record every questionnaire in questionnaires/definitions/."""
    from .data.questionnaires import register_shipped

    try:
        results = _commit_or_fail(register_shipped)
    except questionnaire_files.QuestionnaireError as error:
        raise click.ClickException(str(error)) from None
    for row, new in results:
        click.echo(f"{row.questionnaire_id} version {row.version}: {'loaded' if new else 'already loaded'}")


@click.command("import-schools")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def import_schools(file) -> None:
    """Add or update schools from a register CSV in the GIAS layout.

    Columns used: URN, EstablishmentName, LA (code), LA (name), PhaseOfEducation (name),
    TypeOfEstablishment (name), Trusts (name). Other columns are ignored. Nothing is saved if any
    line is wrong.
    """
    from .data.schools import import_schools as run

    added, updated = _commit_or_fail(lambda: run(file, actor=ACTOR))
    click.echo(f"{added} schools added, {updated} updated")


@click.command("create-wave")
@click.option("--questionnaire", "questionnaire_id", required=True, help="e.g. national-secondary")
@click.option("--name", required=True, help="e.g. 'Autumn 2026'")
@click.option("--opens", required=True, help="first day, e.g. 2026-11-30")
@click.option("--closes", required=True, help="last day, e.g. 2026-12-18")
@click.option(
    "--school",
    "urn",
    type=DATABASE_INTEGER,
    help="URN, for a school's own wave; leave out for a national wave",
)
@with_appcontext
def create_wave(questionnaire_id, name, opens, closes, urn) -> None:
    """Create a wave of a loaded questionnaire, for one school or national."""
    from .data.waves import create_wave as run

    school = _school(urn) if urn else None
    first_day, last_day = _day(opens), _day(closes)
    wave = _commit_or_fail(
        lambda: run(
            name=name,
            questionnaire_id=questionnaire_id,
            first_day=first_day,
            last_day=last_day,
            school=school,
            actor=ACTOR,
        )
    )
    click.echo(
        f"wave {wave.id} created: {wave.name}, {wave.questionnaire_id} v{wave.questionnaire_version}, "
        f"{first_day:%d %b %Y} to {last_day:%d %b %Y}"
    )


@click.command("import-roster")
@click.option("--wave", "wave_id", type=DATABASE_INTEGER, required=True)
@click.option("--school", "urn", type=DATABASE_INTEGER, required=True, help="URN")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def import_roster(wave_id, urn, file) -> None:
    """Add or update a school's pseudonymous roster for a wave from a CSV.

    Columns: pupil_reference (the school's own, never a name), year_group, gender (F/M/O),
    ethnicity_major, ethnicity_minor (DfE codes), sen (N/K/E), fsm, eal, looked_after (Y/N), class.
    Nothing is saved if any line is wrong.
    """
    from .data.waves import import_roster as run

    wave, school = _wave(wave_id), _school(urn)
    added, updated = _commit_or_fail(lambda: run(wave, school, file, actor=ACTOR))
    click.echo(f"{added} pupils added, {updated} updated")


@click.command("issue-codes")
@click.option("--wave", "wave_id", type=DATABASE_INTEGER, required=True)
@click.option("--school", "urn", type=DATABASE_INTEGER, required=True, help="URN")
@click.option(
    "--out", type=click.File("w", encoding="utf-8"), required=True, help="CSV to write, or - for the screen"
)
@with_appcontext
def issue_codes(wave_id, urn, out) -> None:
    """Issue a code to every pupil on the roster who has none, and write them to a CSV.

    The codes are shown only this once: they are kept only as keyed hashes.
    """
    from .data.waves import issue_codes as run

    wave, school = _wave(wave_id), _school(urn)
    issued = _commit_or_fail(lambda: run(wave, school, actor=ACTOR))
    # The download's formula-safe writer: a class typed as "=..." must stay text in a spreadsheet.
    from .results.table import Column, Table, to_csv

    keys = ("pupil_reference", "class", "year_group", "code")
    rows = [
        dict(zip(keys, (e.pupil_reference, e.class_name or "", e.year_group, c), strict=True))
        for e, c in issued
    ]
    out.write(to_csv(Table("codes", "Pupil codes", [Column(k, k) for k in keys], rows)).decode("utf-8-sig"))
    click.echo(f"{len(issued)} codes issued", err=out.name == "<stdout>")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--school", "urns", type=DATABASE_INTEGER, multiple=True, help="URN (school leads; repeat for several)"
)
@click.option("--la", "la_code", help="local authority code (reviewers)")
@click.option("--trust", help="trust name (reviewers)")
@click.password_option(help="at least 12 characters; asked for if left out")
@with_appcontext
def create_user(email, role, urns, la_code, trust, password) -> None:
    """Create a member of staff: a school lead for some schools, or a reviewer or admin."""
    from .data.users import create_user as run

    if la_code and trust:
        raise click.UsageError("give --la or --trust, not both")
    schools = [_school(urn) for urn in urns]
    if schools:
        scope, value = ScopeKind.SCHOOLS, None
    elif la_code:
        scope, value = ScopeKind.LOCAL_AUTHORITY, la_code
    elif trust:
        scope, value = ScopeKind.TRUST, trust
    else:
        scope, value = ScopeKind.NATIONAL, None
    user = _commit_or_fail(
        lambda: run(
            email=email,
            password=password,
            role=Role(role),
            scope_kind=scope,
            scope_value=value,
            schools=schools,
            actor=ACTOR,
        )
    )
    click.echo(
        f"user {user.email} created: {user.role.value}, scope {scope.value}{' ' + value if value else ''}"
    )


@click.command("demo")
@click.option(
    "--codes-out", type=click.File("w", encoding="utf-8"), help="also write the unused codes to a CSV"
)
@with_appcontext
def demo(codes_out) -> None:
    """Load synthetic demo schools, rosters and responses (once), and print fresh pupil codes and logins."""
    from . import demo as demo_data

    if demo_data.already_seeded():
        click.echo("Demo data is already loaded.")
    else:
        counts = _commit_or_fail(demo_data.seed)
        click.echo(
            f"Demo data loaded: {counts['schools']} schools, {counts['roster']} pupils on rosters, "
            f"{counts['responses']} complete responses ({counts['answers']} answers)."
        )
    from .results.publish import PublishError, publish
    from .results.released import published

    if published() is None:  # the dashboards work at once; later releases come from the worker
        try:
            release = publish("demo")
        except PublishError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Results release {release.id} published from {release.responses:,} complete responses.")
    issued = _commit_or_fail(demo_data.fresh_codes)
    click.echo("\nPupil codes to try (each works once; run `make demo` again for new ones):")
    for urn, questionnaire, code in issued:
        click.echo(f"  {questionnaire:<20} {code}   (school {urn})")
    click.echo("\nStaff logins:")
    for email, password, role in demo_data.staff_logins():
        click.echo(f"  {role:<17} {email:<28} {password}")
    if codes_out:
        writer = csv.writer(codes_out)
        writer.writerow(["school_urn", "questionnaire", "code"])
        writer.writerows(issued)


@click.command("synthetic")
@click.option(
    "--responses",
    type=click.IntRange(1, 20_000_000),
    required=True,
    help="how many complete responses to add (in about N/300 new schools)",
)
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), help="the same seed gives the same data")
@with_appcontext
def synthetic(responses, seed) -> None:
    """Add synthetic national data for benchmarks: new schools in 150 local authorities, on rosters.

    Nothing is added to any existing school (the demo logins' school included).
    """
    from time import perf_counter

    from .data.synthetic import generate

    started = perf_counter()
    counts = _commit_or_fail(lambda: generate(responses, seed=seed, actor=ACTOR))
    took = perf_counter() - started
    click.echo(
        f"Added {counts.responses} complete responses ({counts.answers} answers) in {counts.schools} new "
        f"schools, {counts.roster} pupils on rosters, in {took:.1f} s "
        f"({counts.responses / took:,.0f} responses/s)."
    )


@click.command("export-responses")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    required=True,
    help="file to write (- for the screen, CSV only)",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="CSV as in docs/data-format.md, or Parquet with the same columns (typed)",
)
@click.option(
    "--text-out",
    type=click.File("w", encoding="utf-8", lazy=True),
    help="separate CSV for free-text answers (left out unless given)",
)
@click.option(
    "--wave", "wave_ids", type=DATABASE_INTEGER, multiple=True, help="only these waves (repeatable)"
)
@click.option("--questionnaire", "questionnaire_id", help="only waves of this questionnaire")
@with_appcontext
def export_responses(out, file_format, text_out, wave_ids, questionnaire_id) -> None:
    """Write every response as one row (see docs/data-format.md)."""
    from .data.export import export_responses as run

    if file_format == "parquet" and out == "-":
        raise click.BadParameter("Parquet is a binary file: give a file name, not -", param_hint="--out")
    mode, encoding = ("wb", None) if file_format == "parquet" else ("w", "utf-8")
    with click.open_file(out, mode, encoding=encoding, lazy=True) as stream:
        count = _commit_or_fail(
            lambda: run(
                stream,
                text_out=text_out,
                wave_ids=list(wave_ids) or None,
                questionnaire_id=questionnaire_id,
                actor=ACTOR,
                format=file_format,
            )
        )
    click.echo(f"{count} responses exported", err=True)
    sys.stderr.flush()


@click.command("purge")
@click.option(
    "--older-than",
    help="delete data of waves that closed before this: a period (3y, 18m, 365d) or a date "
    "(2023-08-31); default RETENTION_DAYS days",
)
@click.option("--dry-run", is_flag=True, help="only print what would be deleted")
@with_appcontext
def purge(older_than, dry_run) -> None:
    """Delete pupil-level data (answers, responses, codes, rosters, class sessions) of old waves.

    Only waves that closed before the cutoff are touched. Schools, waves, users and the audit log stay.
    """
    from flask import current_app

    from .data.purge import cutoff_from
    from .data.purge import purge as run
    from .models import utcnow

    now = utcnow()
    if older_than is None:
        older_than = f"{current_app.config['RETENTION_DAYS']}d"
    try:
        cutoff = cutoff_from(older_than, now=now)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--older-than") from None
    result = _commit_or_fail(lambda: run(cutoff, dry_run=dry_run, actor=ACTOR))
    click.echo(f"Waves that closed before {cutoff:%d %b %Y %H:%M} UTC: {len(result.waves)}")
    for wave in result.waves:
        closed = f"{wave.closes_at:%d %b %Y}"
        click.echo(f"  wave {wave.id}: {wave.name} ({wave.questionnaire_id}), closed {closed}")
    counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in result.counts().items())
    if dry_run:
        click.echo(f"Dry run, nothing was deleted. Would delete: {counts}")
    else:
        click.echo(f"Deleted: {counts}")

"""`python -m questionnaires check [FILE ...]` and `python -m questionnaires review LANGUAGE`."""

from __future__ import annotations

import argparse
import sys

from . import QuestionnaireError, available, load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m questionnaires", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate questionnaire files (default: all shipped)")
    check.add_argument("files", nargs="*", help="ids or paths; default: every shipped questionnaire")
    review = commands.add_parser("review", help="list texts flagged for review in a language")
    review.add_argument("language")
    review.add_argument("files", nargs="*")
    args = parser.parse_args(argv)

    failed = False
    for name in args.files or available():
        try:
            questionnaire = load(name)
        except (QuestionnaireError, FileNotFoundError) as error:
            print(error, file=sys.stderr)
            failed = True
            continue
        if args.command == "check":
            counts = ", ".join(f"{s.id} {len(s.items)}" for s in questionnaire.scales)
            print(
                f"{questionnaire.id} v{questionnaire.version}: ok — {len(questionnaire.sections)} sections, "
                f"{len(questionnaire.questions)} questions; scales: {counts}"
            )
        else:
            flagged = questionnaire.texts_for_review(args.language)
            print(f"{questionnaire.id}: {len(flagged)} texts flagged for '{args.language}' review")
            for where, text in flagged:
                print(f"  {where}: {text}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

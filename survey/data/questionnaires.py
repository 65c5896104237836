from __future__ import annotations

import questionnaires
from questionnaires import Questionnaire

from ..cache import KeyedCache
from ..extensions import db
from ..models import QuestionnaireVersion


class QuestionnaireChanged(ValueError):
    pass


def register_shipped() -> list[tuple[QuestionnaireVersion, bool]]:
    """Record every shipped questionnaire version; (row, newly added) for each.

    A file whose wording changed without a new version number is refused: answers already given
    must keep meaning what the pupils were asked.
    """
    results = []
    for name in questionnaires.available():
        path = questionnaires.DEFINITIONS / f"{name}.yaml"
        source = path.read_text(encoding="utf-8")
        definition = questionnaires.loads(source, filename=path.name, expect_id=name)
        row = db.session.scalar(
            db.select(QuestionnaireVersion).filter_by(
                questionnaire_id=definition.id, version=definition.version
            )
        )
        if row is not None:
            if row.checksum != definition.checksum:
                raise QuestionnaireChanged(
                    f"{path.name}: version {definition.version} was loaded before with different content; "
                    "give the changed questionnaire a new version number"
                )
            results.append((row, False))
            continue
        row = QuestionnaireVersion(
            questionnaire_id=definition.id,
            version=definition.version,
            audience=definition.audience,
            checksum=definition.checksum,
            source=source,
        )
        db.session.add(row)
        results.append((row, True))
    db.session.flush()
    return results


def latest(questionnaire_id: str) -> QuestionnaireVersion | None:
    return db.session.scalar(
        db.select(QuestionnaireVersion)
        .filter_by(questionnaire_id=questionnaire_id)
        .order_by(QuestionnaireVersion.version.desc())
        .limit(1)
    )


# A loaded version never changes (register_shipped refuses changed content under the same number),
# so each process reads and parses it once, not on every pupil's page.
_DEFINITIONS: KeyedCache[tuple[str, int], Questionnaire] = KeyedCache("questionnaire versions", maxsize=64)


def definition(questionnaire_id: str, version: int) -> Questionnaire:
    """The questionnaire exactly as loaded for that version."""

    def build() -> Questionnaire:
        source = db.session.scalar(
            db.select(QuestionnaireVersion.source).filter_by(
                questionnaire_id=questionnaire_id, version=version
            )
        )
        if source is None:
            raise LookupError(f"questionnaire {questionnaire_id} version {version} has not been loaded")
        return questionnaires.loads(source, filename=f"{questionnaire_id}.yaml")

    return _DEFINITIONS.get((questionnaire_id, version), build)


def loaded_ids() -> list[str]:
    """The ids of the questionnaires loaded into the database, in order."""
    return list(
        db.session.scalars(
            db.select(QuestionnaireVersion.questionnaire_id)
            .distinct()
            .order_by(QuestionnaireVersion.questionnaire_id)
        )
    )


def latest_summaries() -> list[tuple[str, int, str]]:
    """(id, latest version, audience) of each loaded questionnaire."""
    rows = db.session.execute(
        db.select(
            QuestionnaireVersion.questionnaire_id,
            db.func.max(QuestionnaireVersion.version),
            db.func.max(QuestionnaireVersion.audience),
        )
        .group_by(QuestionnaireVersion.questionnaire_id)
        .order_by(QuestionnaireVersion.questionnaire_id)
    )
    return [(qid, version, audience) for qid, version, audience in rows]

"""Wales's words where a school is in Wales (by its local authority): additional learning needs (ALN)
and individual development plans (IDPs) in place of England's SEN support and EHC plans.

The answers keep their values and codes (K: extra help, E: a statutory plan), so results from both
countries add up; only what the pupil reads changes.
"""

from __future__ import annotations

from dataclasses import replace

from questionnaires import Question
from questionnaires.model import Text

# DfE local authority codes of Wales's 22 local authorities (Isle of Anglesey 660 … Cardiff 681).
WELSH_LA_CODES = frozenset(str(code) for code in range(660, 682))

# Needs review by a fluent Welsh speaker (the Welsh).
SEN_LABELS = {
    2: Text(
        {
            "en": "Yes, I get extra help with my learning (additional learning needs)",
            "cy": "Ydw, rydw i’n cael help ychwanegol gyda fy nysgu (anghenion dysgu ychwanegol)",
        },
        review=("cy",),
    ),
    3: Text(
        {
            "en": "Yes, and I have a plan called an IDP (Individual Development Plan)",
            "cy": "Ydw, ac mae gen i gynllun o’r enw CDU (Cynllun Datblygu Unigol)",
        },
        review=("cy",),
    ),
}


def in_wales(la_code: str | None) -> bool:
    return (la_code or "").strip() in WELSH_LA_CODES


def for_school(question: Question, wales: bool) -> Question:
    """The question as a pupil of this school reads it."""
    if not wales or question.response_set != "sen":
        return question
    options = tuple(
        replace(option, label=SEN_LABELS[option.value]) if option.value in SEN_LABELS else option
        for option in question.options
    )
    return replace(question, options=options)

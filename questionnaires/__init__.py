"""Questionnaire definitions (YAML) and the typed loader shared by the survey app and the analysis.

>>> import questionnaires
>>> q = questionnaires.load("national-secondary")
>>> q.scales["belonging"].items[:1]
('belong_part',)
"""

from .loader import DEFINITIONS, QuestionnaireError, available, load, loads
from .model import (
    CHOICE_TYPES,
    QUESTION_TYPES,
    Catalogue,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Scale,
    Section,
    ShowIf,
    Text,
)

__all__ = [
    "CHOICE_TYPES",
    "DEFINITIONS",
    "QUESTION_TYPES",
    "Catalogue",
    "Option",
    "Question",
    "QuestionType",
    "Questionnaire",
    "QuestionnaireError",
    "Scale",
    "Section",
    "ShowIf",
    "Text",
    "available",
    "load",
    "loads",
]

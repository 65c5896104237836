"""The database models. Import them from here: `from survey.models import School, Wave`."""

from .base import Base, utcnow
from .pupil import Answer, ClassSession, PupilCode, Response, ResponseStatus, RosterEntry, SenStatus
from .questionnaire import QuestionnaireVersion
from .release import Release, ReleaseItem, ReleaseSchool, ReleaseStatus
from .safeguarding import ConcernState, SafeguardingConcern
from .school import School
from .staff import AuditEvent, Role, ScopeKind, StaffSession, User, user_school
from .wave import Wave

__all__ = [
    "Answer",
    "AuditEvent",
    "Base",
    "ClassSession",
    "ConcernState",
    "PupilCode",
    "QuestionnaireVersion",
    "Release",
    "ReleaseItem",
    "ReleaseSchool",
    "ReleaseStatus",
    "Response",
    "ResponseStatus",
    "Role",
    "RosterEntry",
    "SafeguardingConcern",
    "School",
    "ScopeKind",
    "SenStatus",
    "StaffSession",
    "User",
    "Wave",
    "user_school",
    "utcnow",
]

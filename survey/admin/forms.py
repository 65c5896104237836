"""Admin forms. Every message is in the GOV.UK voice and says how to put the problem right."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..data import schools as school_data
from ..data import users as user_data
from ..form_fields import URN, check_last_day, email_address, first_and_last_day, lower_email, strip, urn
from ..models import Role, School, ScopeKind

MAX_URNS = 500


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class SchoolsUploadForm(FlaskForm):
    file = FileField(
        "Schools register (CSV)",
        description="In the GIAS layout: URN, EstablishmentName, LA (code), LA (name), "
        "PhaseOfEducation (name), TypeOfEstablishment (name), Trusts (name). Other columns are ignored.",
        validators=[FileRequired(message="Choose a CSV file of schools")],
        widget=GovFileInput(),
    )
    submit = SubmitField("Upload schools", widget=GovSubmitInput())


class UserForm(FlaskForm):
    email = StringField(
        "Email address",
        filters=[lower_email],
        validators=[
            DataRequired(message="Enter the email address"),
            Length(max=254, message="Enter an email address of 254 characters or fewer"),
            email_address(),
        ],
        widget=GovTextInput(),
    )
    role = RadioField(
        "Role",
        choices=choices(
            [
                (
                    Role.SCHOOL_LEAD.value,
                    "School lead: sets up waves and sees the results of their own schools",
                ),
                (
                    Role.SAFEGUARDING_LEAD.value,
                    "Designated safeguarding lead: reads and acts on possible safeguarding concerns "
                    "in their own schools' free text",
                ),
                (Role.REVIEWER.value, "Reviewer: compares schools in an area, in aggregate only"),
                (Role.ADMIN.value, "Admin: runs the service (schools, users, waves); sees no results"),
            ]
        ),
        validators=[DataRequired(message="Choose a role")],
        invalid_choice_message="Choose a role",
        widget=GovRadioInput(),
    )
    scope = RadioField(
        "What they can see",
        description="Admins always have a national scope.",
        choices=choices(
            [
                (ScopeKind.SCHOOLS.value, "Named schools (school leads and safeguarding leads)"),
                (ScopeKind.LOCAL_AUTHORITY.value, "A local authority (reviewers)"),
                (ScopeKind.TRUST.value, "A trust (reviewers)"),
                (ScopeKind.NATIONAL.value, "The whole country (reviewers and admins)"),
            ]
        ),
        validators=[Optional()],
        invalid_choice_message="Choose what they can see",
        widget=GovRadioInput(),
    )
    urns = TextAreaField(
        "School URNs",
        description="One or more, separated by commas or spaces, like 100001, 100002",
        filters=[strip],
        validators=[Length(max=10_000, message="Enter at most 500 URNs")],
        widget=GovTextArea(),
    )
    la_code = StringField(
        "Local authority code",
        description="The 3-digit code, like 201",
        filters=[strip],
        validators=[Length(max=10, message="Enter a local authority code of 10 characters or fewer")],
        widget=GovTextInput(),
    )
    trust = StringField(
        "Trust name",
        description="Exactly as in the schools register",
        filters=[strip],
        validators=[Length(max=200, message="Enter a trust name of 200 characters or fewer")],
        widget=GovTextInput(),
    )
    submit = SubmitField("Create user", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.schools: list[School] = []

    def validate_email(self, field) -> None:
        if user_data.by_email(field.data) is not None:
            raise ValidationError("There is already a user with this email address")

    def scope_kind(self) -> ScopeKind:
        return ScopeKind.NATIONAL if self.role.data == Role.ADMIN.value else ScopeKind(self.scope.data)

    def scope_value(self) -> str | None:
        kind = self.scope_kind()
        if kind is ScopeKind.LOCAL_AUTHORITY:
            return self.la_code.data
        if kind is ScopeKind.TRUST:
            return self.trust.data
        return None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.role.errors or self.scope.errors:
            return False
        role = self.role.data
        if role == Role.ADMIN.value:
            return valid
        scope = self.scope.data
        if not scope:
            self.scope.errors.append("Choose what they can see")
            return False
        if role == Role.SCHOOL_LEAD.value and scope != ScopeKind.SCHOOLS.value:
            self.scope.errors.append("A school lead sees named schools only: choose Named schools")
            return False
        if role == Role.SAFEGUARDING_LEAD.value and scope != ScopeKind.SCHOOLS.value:
            self.scope.errors.append("A safeguarding lead sees named schools only: choose Named schools")
            return False
        if role == Role.REVIEWER.value and scope == ScopeKind.SCHOOLS.value:
            self.scope.errors.append("Choose a local authority, a trust or the whole country for a reviewer")
            return False
        if scope == ScopeKind.SCHOOLS.value:
            return self._check_urns() and valid
        if scope == ScopeKind.LOCAL_AUTHORITY.value and not self.la_code.data:
            self.la_code.errors.append("Enter the local authority code")
            return False
        if scope == ScopeKind.TRUST.value and not self.trust.data:
            self.trust.errors.append("Enter the trust name")
            return False
        return valid

    def _check_urns(self) -> bool:
        if self.urns.errors:
            return False
        tokens = [t for t in re.split(r"[\s,;]+", self.urns.data or "") if t]
        if not tokens:
            self.urns.errors.append("Enter the URN of at least one school")
            return False
        if len(tokens) > MAX_URNS:
            self.urns.errors.append(f"Enter at most {MAX_URNS} URNs")
            return False
        wrong = [t for t in tokens if not URN.fullmatch(t)]
        if wrong:
            self.urns.errors.append(f"{wrong[0][:20]} is not a URN: URNs are 5 to 7 digits")
            return False
        urns = sorted({int(t) for t in tokens})
        found = {s.urn: s for s in school_data.by_urns(urns)}
        missing = [str(u) for u in urns if u not in found]
        if missing:
            self.urns.errors.append(f"There is no school with URN {', '.join(missing[:10])}")
            return False
        self.schools = [found[u] for u in urns]
        return True


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class WaveForm(FlaskForm):
    name = StringField(
        "Name",
        description="What schools and pupils will see, like Autumn 2026",
        filters=[strip],
        validators=[
            DataRequired(message="Enter a name for the wave"),
            Length(max=120, message="Enter a name of 120 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    questionnaire = SelectField(
        "Questionnaire",
        validators=[DataRequired(message="Choose a questionnaire")],
        invalid_choice_message="Choose a questionnaire",
        widget=GovSelect(),
    )
    school_urn = StringField(
        "School URN (optional)",
        description="For one school's own wave. Leave empty for a national wave that every school can use.",
        filters=[strip],
        validators=[Optional(), urn("Enter a URN of 5 to 7 digits, or leave it empty")],
        widget=GovTextInput(),
    )
    opens, closes = first_and_last_day()
    submit = SubmitField("Create wave", widget=GovSubmitInput())

    def __init__(self, *args, questionnaires: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questionnaire.choices = choices([("", "Choose a questionnaire"), *questionnaires])
        self.school: School | None = None

    def validate_school_urn(self, field) -> None:
        if field.data and URN.match(field.data):  # (WTForms runs this even when the pattern failed)
            self.school = school_data.by_urn(int(field.data))
            if self.school is None:
                raise ValidationError(f"There is no school with URN {field.data}")

    def validate_closes(self, field) -> None:
        check_last_day(self.opens.data, field.data)


class WithdrawForm(FlaskForm):
    by = RadioField(
        "How do you want to find the response?",
        choices=choices(
            [
                ("code", "By the pupil's code"),
                ("reference", "By school, wave and the school's pupil reference"),
            ]
        ),
        validators=[DataRequired(message="Choose how to find the response")],
        invalid_choice_message="Choose how to find the response",
        widget=GovRadioInput(),
    )
    code = StringField(
        "Pupil's code",
        description="From the pupil's slip, like ABCDE-23456",
        filters=[strip],
        validators=[Length(max=40, message="Enter a code of 10 letters and numbers, like ABCDE-23456")],
        widget=GovTextInput(),
    )
    urn = StringField(
        "School URN",
        filters=[strip],
        validators=[Optional(), urn()],
        widget=GovTextInput(),
    )
    wave = SelectField(
        "Wave",
        validate_choice=False,
        widget=GovSelect(),
    )
    reference = StringField(
        "Pupil reference",
        description="The school's own reference for the pupil, exactly as on its roster",
        filters=[strip],
        validators=[Length(max=40, message="Enter a pupil reference of 40 characters or fewer")],
        widget=GovTextInput(),
    )
    confirm = HiddenField()
    submit = SubmitField("Find the response", widget=GovSubmitInput())

    def __init__(self, *args, waves: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wave.choices = choices([("", "Choose a wave"), *waves])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.by.data == "code" and not self.code.errors and not self.code.data:
            self.code.errors.append("Enter the pupil's code")
            valid = False
        if self.by.data == "reference":
            if not self.urn.errors and not self.urn.data:
                self.urn.errors.append("Enter the school's URN")
                valid = False
            if self.wave.data not in {choice.value for choice in self.wave.choices if choice.value}:
                self.wave.errors.append("Choose the wave")
                valid = False
            if not self.reference.errors and not self.reference.data:
                self.reference.errors.append("Enter the pupil reference")
                valid = False
        return valid

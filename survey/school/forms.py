from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import IntegerField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..data.waves import MAX_CLASS_CODES
from ..form_fields import check_last_day, first_and_last_day, strip

MAX_ROSTER_BYTES = 2 * 1024 * 1024


class WaveForm(FlaskForm):
    name = StringField(
        "Name of the wave",
        description="For example, Spring 2027. Pupils do not see it.",
        validators=[
            DataRequired(message="Enter a name for the wave"),
            Length(max=120, message="Use 120 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    questionnaire = RadioField(
        "Questionnaire",
        validators=[InputRequired(message="Choose the questionnaire")],
        widget=GovRadioInput(),
    )
    opens, closes = first_and_last_day()
    submit = SubmitField("Create the wave", widget=GovSubmitInput())

    def validate_closes(self, field) -> None:
        check_last_day(self.opens.data, field.data)


class RosterForm(FlaskForm):
    """In the page's language: the wave page is in Welsh too."""

    roster = FileField(
        _l("Upload the roster"),
        description=_l("A CSV file with one row per pupil. Use your own pupil references, never names."),
        validators=[
            FileRequired(message=_l("Choose a CSV file to upload")),
            FileAllowed(["csv"], message=_l("The roster must be a CSV file")),
        ],
        widget=GovFileInput(),
    )
    submit = SubmitField(_l("Upload the roster"), widget=GovSubmitInput())


class ClassSessionForm(FlaskForm):
    """In the page's language: the wave page is in Welsh too."""

    name = StringField(
        _l("Class name"),
        description=_l(
            "For example, 8B. Pupils in an anonymous session answer the About you questions themselves."
        ),
        validators=[
            DataRequired(message=_l("Enter the class name")),
            Length(max=60, message=_l("Use 60 characters or fewer")),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    count = IntegerField(
        _l("Number of codes"),
        validators=[
            InputRequired(message=_l("Enter the number of codes")),
            NumberRange(
                min=1,
                max=MAX_CLASS_CODES,
                message=_l("Enter a number from 1 to %(max)s", max=MAX_CLASS_CODES),
            ),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Open the session and print codes"), widget=GovSubmitInput())


class TrustedAdultForm(FlaskForm):
    text = TextAreaField(
        "Who pupils can talk to",
        description="Pupils see this on the last page of the survey. For example: Talk to any "
        "member of staff, or Ms Patel in the pastoral office.",
        validators=[Optional(), Length(max=500, message="Use 500 characters or fewer")],
        filters=[strip],
        widget=GovTextArea(),
    )
    text_cy = TextAreaField(
        "In Welsh (optional)",
        description="Pupils who take the survey in Welsh see this instead. Without it they see the English.",
        validators=[Optional(), Length(max=500, message="Use 500 characters or fewer in the Welsh")],
        filters=[strip],
        widget=GovTextArea(),
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class YouSaidWeDidForm(FlaskForm):
    text = TextAreaField(
        "What you will change",
        description="Pupils see this before they start the next survey. Write it for them: short sentences, "
        "one change per line. Leave it empty to stop showing it.",
        validators=[Optional(), Length(max=2000, message="Use 2,000 characters or fewer")],
        filters=[strip],
        widget=GovTextArea(),
    )
    text_cy = TextAreaField(
        "In Welsh (optional)",
        description="Pupils who take the survey in Welsh see this instead. Without it they see the English.",
        validators=[Optional(), Length(max=2000, message="Use 2,000 characters or fewer in the Welsh")],
        filters=[strip],
        widget=GovTextArea(),
    )
    submit = SubmitField("Publish to pupils", widget=GovSubmitInput())

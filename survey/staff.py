"""What every staff page shares: the navigation for the signed-in user's role."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_login import current_user

from .models import Role

NAVIGATION = {
    Role.SCHOOL_LEAD: [("schools", "Your schools", "school.index")],
    Role.SAFEGUARDING_LEAD: [
        ("safeguarding", "Needs attention", "school.safeguarding_home"),
        ("keywords", "What raises a flag", "school.safeguarding_keywords"),
    ],
    Role.REVIEWER: [
        ("find", "Find a school", "review.index"),
        ("compare", "Compare schools", "review.compare"),
        ("areas", "Areas", "review.areas"),
        ("disproportionality", "Disproportionality", "review.disproportionality"),
        ("participation", "Participation", "review.participation"),
    ],
    Role.ADMIN: [
        ("schools", "Schools", "admin.schools"),
        ("users", "Users", "admin.users"),
        ("waves", "Waves", "admin.waves"),
        ("releases", "Results releases", "admin.releases"),
        ("withdraw", "Withdraw a response", "admin.withdraw"),
        ("audit", "Audit log", "admin.audit"),
    ],
}
STAFF_BLUEPRINTS = {"auth", "school", "review", "admin"}


def you_said_we_did(school_id: int) -> str | None:
    """What a school has published to its pupils about what it is changing, for the pupil pages."""
    from .extensions import db
    from .models import School

    school = db.session.get(School, school_id)
    return school.you_said_we_did if school else None


def init_app(app: Flask) -> None:
    app.jinja_env.globals["you_said_we_did"] = you_said_we_did

    @app.context_processor
    def staff_navigation() -> dict:
        if request.blueprint not in STAFF_BLUEPRINTS or not current_user.is_authenticated:
            return {}
        items = NAVIGATION.get(current_user.role, [])
        return {
            "staff_navigation": [
                (id_, text, url_for(endpoint))
                for id_, text, endpoint in items
                if endpoint in app.view_functions
            ]
        }

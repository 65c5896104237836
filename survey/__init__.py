"""The pupil voice survey web app: `create_app` builds it from small named steps."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.routing import IntegerConverter

from . import config, logs, security, staff, templating
from .connections import ping_when_idle
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .sessions import SignedCookieSessions

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder=str(ROOT / "templates"))
    app.session_interface = SignedCookieSessions()
    load_config(app, test_config)
    init_extensions(app)
    init_jinja(app)
    init_url_converters(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def load_config(app: Flask, test_config: dict | None) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)


def select_locale() -> str:
    language = session.get("language") if request else None
    return language if language in ("en", "cy") else "en"


def init_extensions(app: Flask) -> None:
    logs.init_app(app)  # first: its clock starts before any other hook can answer the request
    db.init_app(app)
    with app.app_context():
        ping_when_idle(db.engine, app.config["DATABASE_PING_AFTER_SECONDS"])
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale)
    security.reject_unnamed_fields(app)  # before the CSRF check, which cannot read such a form
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.session_protection = "basic"
    security.init_app(app)


def init_jinja(app: Flask) -> None:
    from govuk_frontend_wtf.main import WTFormsHelpers

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    templating.init_app(app)
    staff.init_app(app)

    @app.context_processor
    def service() -> dict:
        return {"service_name": app.config["SERVICE_NAME"], "service_owner": app.config["SERVICE_OWNER"]}


class DatabaseInteger(IntegerConverter):
    """`<int:…>` in URLs, up to the largest database integer: a huge number is a 404, not an overflow."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def init_url_converters(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseInteger


def register_blueprints(app: Flask) -> None:
    from .admin import bp as admin
    from .auth import bp as auth
    from .health import bp as health
    from .pupil import bp as pupil
    from .review import bp as review
    from .school import bp as school

    for blueprint in (pupil, auth, school, review, admin, health):
        app.register_blueprint(blueprint)


def register_error_handlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_cli(app: Flask) -> None:
    from .cli import register

    register(app)

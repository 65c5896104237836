"""Flask extensions, created once and bound to the app in `create_app`."""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .models.base import Base

# Models subclass our own typed `Base`; Flask-SQLAlchemy only manages sessions and engines for it.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()

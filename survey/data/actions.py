"""Where a change is committed: at the end of the one data function that is the user's action.

A data function marked `@user_action` is one thing a user does (create a wave, upload a roster,
look at the audit log). When it returns, its changes and their audit events are committed together;
when it raises, all of it is rolled back and the error goes on to the view, which shows it. An action
called from inside another (`replace_unused_codes` issuing codes) joins the outer one, so the outer
one commits once. Views never commit or roll back.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

from ..extensions import db

P = ParamSpec("P")
R = TypeVar("R")

_depth: ContextVar[int] = ContextVar("user_action_depth", default=0)


def user_action(function: Callable[P, R]) -> Callable[P, R]:
    """Commit when `function` returns, roll back when it raises (only the outermost action does)."""

    @wraps(function)
    def action(*args: P.args, **kwargs: P.kwargs) -> R:
        outermost = _depth.get() == 0
        token = _depth.set(_depth.get() + 1)
        try:
            result = function(*args, **kwargs)
        except BaseException:
            _depth.reset(token)
            if outermost:
                db.session.rollback()
            raise
        _depth.reset(token)
        if outermost:
            db.session.commit()
        return result

    return action

"""The least a pupil answer page can cost under the issue's own rules, for bench/floor.py.

The same request shape as bench/bare_app.py (GET a page, POST its form, redirect), with only what
every pupil page must do and nothing else: Flask's signed-cookie session saying who the pupil is,
Flask-WTF's CSRF token on the form and its check on the post, one PostgreSQL statement to read
the pupil's answers on each page, one transaction to save the page's answers on each post, and
`Cache-Control: no-store`. No templates, no questionnaire, no validation, no logging, no other
headers, no rate limits, no ORM and no pool: one psycopg connection per thread.

Served by bench/floor.py as `floor_app:app`, with the table made by that script. FLOOR_WITHOUT (a
comma-separated list of `csrf` and `database`) leaves those parts out, to see what each one costs.
"""

from __future__ import annotations

import os
import secrets
import threading

import psycopg
from bare_app import PAGE as BARE_PAGE
from flask import Flask, redirect, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
WITHOUT = set(filter(None, os.environ.get("FLOOR_WITHOUT", "").split(",")))
if "csrf" not in WITHOUT:
    CSRFProtect(app)
_local = threading.local()

# bare_app's page, with the CSRF token in place of its made-up hidden field.
PAGE = BARE_PAGE.replace('name="token" value="not-a-secret"', 'name="csrf_token" value="{token}"')

SAVE = """
WITH gone AS (DELETE FROM floor_answer WHERE pupil = %(pupil)s AND question = ANY(%(questions)s))
INSERT INTO floor_answer (pupil, question, value)
SELECT %(pupil)s, q, v FROM unnest(%(question_of)s::text[], %(values)s::text[]) AS t(q, v)
"""


def connection() -> psycopg.Connection:
    found = getattr(_local, "connection", None)
    if found is None or found.closed:
        found = _local.connection = psycopg.connect(os.environ["FLOOR_CONNINFO"], autocommit=True)
    return found


@app.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@app.get("/")
def page() -> str:
    if "pupil" not in session:
        session["pupil"] = secrets.token_hex(8)
    answered = []
    if "database" not in WITHOUT:
        query = "SELECT question, value FROM floor_answer WHERE pupil = %s"
        answered = connection().execute(query, (session["pupil"],)).fetchall()
    token = "" if "csrf" in WITHOUT else generate_csrf()
    return PAGE.format(token=token).replace("<h1>Hello</h1>", f"<h1>Answered {len(answered)}</h1>")


@app.post("/")
def answer():
    pairs = [(q, v) for q in ("q1", "q2", "q3") for v in request.form.getlist(q) if v]
    parameters = {
        "pupil": session["pupil"],
        "questions": ["q1", "q2", "q3"],
        "question_of": [q for q, _ in pairs],
        "values": [v for _, v in pairs],
    }
    if "database" not in WITHOUT:
        connection().execute(SAVE, parameters)  # one statement, autocommit: one transaction
    return redirect("/", code=302)

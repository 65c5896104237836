"""A bare Flask app for the load benchmark's baseline: the same request shape as the pupil journey.

`GET /` returns a small HTML page with a form; `POST /` reads the form and redirects back to `/`.
No database, sessions, templates or CSRF: the figure it gives is what Flask and gunicorn alone can
do on this machine. Served by bench/pupil_load.py as `bare_app:app`.
"""

from __future__ import annotations

from flask import Flask, redirect, request

app = Flask(__name__)

PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello</title></head>
<body>
<h1>Hello</h1>
<form method="post" action="/">
  <input type="hidden" name="token" value="not-a-secret">
  <fieldset>
    <legend>How are you?</legend>
    <label><input type="radio" name="q1" value="1"> Fine</label>
    <label><input type="radio" name="q1" value="2"> Not so good</label>
  </fieldset>
  <label><input type="checkbox" name="q2" value="a"> A</label>
  <label><input type="checkbox" name="q2" value="b"> B</label>
  <textarea name="q3"></textarea>
  <button type="submit">Continue</button>
</form>
</body>
</html>
"""


@app.get("/")
def page() -> str:
    return PAGE


@app.post("/")
def answer():
    request.form.to_dict(flat=False)  # read (and parse) the whole form, as a real handler would
    return redirect("/", code=302)

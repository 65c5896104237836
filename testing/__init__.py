"""What the tests and the benchmarks share: the soak harness, the hostile-input strategies and the
catalogue of the app's forms, a reader of HTML forms, and the helpers that serve the app with
gunicorn on PostgreSQL.

`tests/` and `bench/` both import from here and never from each other (tests/test_import_rules.py
checks it); nothing here imports either of them.
"""

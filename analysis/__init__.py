"""Statistics for the pupil voice survey on tidy pandas DataFrames.

Imports only `questionnaires` from this project, never Flask or a database driver: it reads the
export format described in `docs/data-format.md`.
"""

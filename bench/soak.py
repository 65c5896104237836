"""Fault test of the pupil journey from the command line: two gunicorn instances on PostgreSQL and
Redis, a killed worker and a restarted instance, and a check that nothing a pupil saw saved is lost.

The harness is testing/soak.py, which tests/soak/test_soak.py runs at CI's size; its docstring says
what it does. From the repository root:

    .venv/bin/python bench/soak.py                  # 1,000 pupils, a few minutes on 2 CPUs
    .venv/bin/python bench/soak.py --help           # the options
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from testing.soak import command_line  # noqa: E402

if __name__ == "__main__":
    command_line()

"""`prorata run-scheduler` as separate processes on one database (issue 13): together they do
every subscription once, and each says how many it did (SPEC S12)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date

from prorata.adapters.db.schema import operations
from prorata.scheduler import run_through
from tests.integration.test_scheduler import BOUGHT, _count, _seed


def test_two_scheduler_processes_do_every_subscription_once(database):
    _seed(database, n=40)
    run_through(database, BOUGHT)
    env = {**os.environ, "PRORATA_DATABASE_URL":
           database.engine.url.render_as_string(hide_password=False)}
    env.pop("PRORATA_TEST_CLOCK", None)
    command = [sys.executable, "-m", "prorata.cli", "run-scheduler", "--date", "2024-09-01"]
    children = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [child.communicate(timeout=300)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    did = [int(re.search(r"This process did (\d+) subscriptions", out).group(1))
           for out in outputs]
    assert sum(did) == 40, outputs
    assert _count(database, operations, operations.c.type == "prolong") == 40
    assert run_through(database, date(2024, 9, 1))["days"] == 0

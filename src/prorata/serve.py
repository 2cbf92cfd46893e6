"""`prorata serve --workers N`: several server processes on one port (uvicorn's supervisor).
Each process builds its app here, from the environment the CLI prepared, because uvicorn
needs an import string to start more than one.

The scheduler and the background worker run in exactly one of the processes: the one that
holds an exclusive `flock` on a lock file named by the supervisor. They would be safe in
several (the daily run shares its work through batch leases, the worker claims jobs with
conditional UPDATEs), but on SQLite extra runners only queue for the one write lock, and on
PostgreSQL they would spend N pool connections on polling. If that process dies, the
supervisor starts a new one, the lock is free again (the kernel drops it with the process),
and the new process takes the runners over."""

from __future__ import annotations

import fcntl
import os
from typing import Any

LOCK_ENV = "PRORATA_SERVE_LOCK"
DEMO_ENV = "PRORATA_SERVE_DEMO"
WORKER_ENV = "PRORATA_SERVE_WORKER"
_held: list[Any] = []  # the open lock file, kept for the life of the process


def runs_background(lock_path: str) -> bool:
    """True in the one process that holds the lock (non-blocking: the others serve only)."""
    handle = open(lock_path, "a+")  # noqa: SIM115 - held open on purpose
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _held.append(handle)
    return True


def app_factory() -> Any:
    """Called by uvicorn in each worker process (`factory=True`)."""
    from prorata import cli
    from prorata.api import create_app

    clock, test_clock = cli._clock()
    database = cli._database(migrate=False)  # the supervisor migrated once
    demo = os.environ.get(DEMO_ENV) == "1"
    key = os.environ.get("PRORATA_OPERATOR_KEY") or (cli.DEMO_OPERATOR_KEY if demo else "")
    background = runs_background(os.environ[LOCK_ENV])
    return create_app(database, clock, key, test_clock, cli._gateways(demo or test_clock),
                      run_worker=background and os.environ.get(WORKER_ENV) == "1",
                      run_scheduler=background, trusted_proxies=cli._trusted_proxies())

"""Issue 13: with `serve --workers N` the scheduler and the background worker run in one
process only: the one holding the lock file."""

from __future__ import annotations

from pathlib import Path

from prorata import serve


def test_only_one_holder_runs_the_background(tmp_path: Path) -> None:
    # issue 13: a second process (here a second open file: flock is per open file) serves only
    lock = str(tmp_path / "serve.lock")
    assert serve.runs_background(lock) is True
    try:
        assert serve.runs_background(lock) is False
        assert serve.runs_background(lock) is False
    finally:
        held = serve._held.pop()
        held.close()  # what the kernel does when the holder dies
    assert serve.runs_background(lock) is True  # the replacement process takes over
    serve._held.pop().close()

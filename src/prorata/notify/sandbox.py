"""Rendering templates that operators and resellers wrote, safely (SPEC R2: sandboxed).

Jinja2's `ImmutableSandboxedEnvironment` stops a template from reaching outside its context
(no `__class__`, no `__subclasses__`, no mutating the data it is given). It cannot stop one
from running for ever (`{% for a in x %}{% for b in x %}…`) or from allocating gigabytes,
and a render runs inside a request or the worker. So templates are rendered in a separate
process (render_child.py), one per server process, reused from render to render:

- time: the caller waits at most `timeout` seconds; a render still running then is killed
  with its process (a fresh one starts on the next render) and answers `too_slow`;
- memory: the process's address space is capped (RLIMIT_AS), so a huge allocation fails
  there as MemoryError (`too_large`) instead of growing the server;
- output: a rendered text longer than `max_output` characters stops (`too_large`).

A step counter inside the process would have needed a Jinja2 code generator of our own and
still missed a single slow builtin call; a killable process misses nothing. The cost is one
pipe round trip per render (well under a millisecond) and one process start (a fraction of a
second) after a kill."""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

DEFAULT_TIMEOUT = 2.0
START_TIMEOUT = 30.0
MAX_OUTPUT = 1_000_000


class TemplateError(Exception):
    """`kind`: syntax | security | failed | too_large | too_slow; `template`: which of the
    templates rendered together failed, when known."""

    def __init__(self, kind: str, message: str, template: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.template = template


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot be given to a template")


class Renderer:
    """Thread-safe; renders one request at a time in its process."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, max_output: int = MAX_OUTPUT) -> None:
        self.timeout = timeout
        self.max_output = max_output
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None

    def render(self, templates: dict[str, str], context: dict[str, Any],
               timeout: float | None = None) -> dict[str, str]:
        request = json.dumps({"templates": templates, "context": context,
                              "max_output": self.max_output}, default=_plain)
        with self._lock:
            answer = self._ask(request, self.timeout if timeout is None else timeout)
        if "ok" in answer:
            return dict(answer["ok"])
        error = answer.get("error") or {}
        raise TemplateError(str(error.get("kind", "failed")), str(error.get("message", "")),
                            error.get("template"))

    def close(self) -> None:
        with self._lock:
            self._kill()

    # --- the process -----------------------------------------------------------------------

    def _ask(self, request: str, timeout: float) -> dict[str, Any]:
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(request + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._kill()
            raise TemplateError("failed", "the renderer stopped; try again") from None
        line = self._read_line(proc.stdout, timeout)
        if line is None:
            self._kill()
            raise TemplateError("too_slow", f"rendering took longer than {timeout:g} s")
        if not line:
            self._kill()  # it died: the memory cap, or killed from outside
            raise TemplateError("too_large", "the template exhausted the renderer's memory")
        return dict(json.loads(line))

    @staticmethod
    def _read_line(stream: IO[str], timeout: float) -> str | None:
        ready, _, _ = select.select([stream], [], [], timeout)
        return stream.readline() if ready else None

    def _process(self) -> subprocess.Popen[str]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._kill()
        proc = subprocess.Popen(
            [sys.executable, "-m", "prorata.notify.render_child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, encoding="utf-8", bufsize=1, env=_child_env())
        assert proc.stdout is not None
        ready = self._read_line(proc.stdout, START_TIMEOUT)
        if not ready or json.loads(ready) != {"ready": True}:
            proc.kill()
            proc.wait()
            raise TemplateError("failed", "the template renderer did not start")
        self._proc = proc
        return proc

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def _child_env() -> dict[str, str]:
    """Only what Python needs to start and find its packages: the server's own secrets
    (database URL, operator key) have no business in the process that runs templates."""
    keep = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k in keep}


RENDERER = Renderer()
atexit.register(RENDERER.close)

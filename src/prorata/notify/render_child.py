"""The process templates are rendered in (see sandbox.py): one JSON request per line on
stdin, one JSON answer per line on stdout, until stdin closes.

A request is `{"templates": {name: source}, "context": {...}, "max_output": n}`; the answer
`{"ok": {name: text}}` or `{"error": {"kind": ..., "message": ...}}`. Only the standard library
and Jinja2 are imported, so the process starts quickly and holds nothing of the server."""

from __future__ import annotations

import json
import resource
import sys
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

MEMORY_LIMIT = 512 * 1024 * 1024  # address space: a template cannot exhaust the machine


class OutputTooLarge(Exception):
    pass


class Lenient(ChainableUndefined):
    """A missing value renders empty, however deep (`data.nothing.deeper`): an event's data
    may lack a field. But what the sandbox refused (`x.__class__`) fails wherever it is
    used, printed included, so a template that tries is refused, not silently emptied."""

    __slots__ = ()

    def _guard(self) -> None:
        if self._undefined_exception is SecurityError:
            self._fail_with_undefined_error()

    def __str__(self) -> str:
        self._guard()
        return ""

    def __iter__(self) -> Any:
        self._guard()
        return iter(())

    def __bool__(self) -> bool:
        self._guard()
        return False

    def __len__(self) -> int:
        self._guard()
        return 0

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        self._guard()
        return self

    def __getitem__(self, name: Any) -> Any:
        self._guard()
        return self


def _environment() -> ImmutableSandboxedEnvironment:
    # Plain text (autoescape off): the HTML part of an e-mail is escaped after rendering.
    # Block tags take their own line with them, as one expects of a text template.
    env = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False,
                                        trim_blocks=True, lstrip_blocks=True,
                                        undefined=Lenient)
    # Arithmetic on sequences and strings is where a one-liner allocates gigabytes
    # ("x" * 10**10); the sandbox refuses the operator when the result would be too large.
    env.intercepted_binops = frozenset({"*", "**"})
    return env


_COMPILED: dict[str, Any] = {}  # source -> template: the same few templates render all day


def _compile(env: ImmutableSandboxedEnvironment, source: str) -> Any:
    template = _COMPILED.get(source)
    if template is None:
        template = env.from_string(source)
        if len(_COMPILED) >= 256:
            _COMPILED.clear()
        _COMPILED[source] = template
    return template


def _render(env: ImmutableSandboxedEnvironment, source: str, context: dict[str, Any],
            limit: int) -> str:
    template = _compile(env, source)
    out: list[str] = []
    size = 0
    for chunk in template.generate(**context):
        size += len(chunk)
        if size > limit:
            raise OutputTooLarge(f"the rendered text is longer than {limit} characters")
        out.append(chunk)
    return "".join(out)


def _binop(limit: int) -> Any:
    def call_binop(context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int) and abs(right) > 100:
                raise SecurityError("exponents above 100 are not allowed in templates")
            return left ** right
        if isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple):
            count = right if isinstance(left, str | list | tuple) else left
            seq = left if isinstance(left, str | list | tuple) else right
            if isinstance(count, int) and count * max(len(seq), 1) > limit:
                raise OutputTooLarge(f"a repeated text longer than {limit} characters")
        return left * right
    return call_binop


def _error(exc: BaseException) -> dict[str, str]:
    if isinstance(exc, TemplateSyntaxError):
        return {"kind": "syntax", "message": f"line {exc.lineno}: {exc.message}"}
    if isinstance(exc, SecurityError):
        return {"kind": "security", "message": str(exc)}
    if isinstance(exc, OutputTooLarge | MemoryError):
        return {"kind": "too_large", "message": str(exc) or "out of memory"}
    if isinstance(exc, UndefinedError):
        return {"kind": "failed", "message": str(exc)}
    if isinstance(exc, RecursionError):
        return {"kind": "failed", "message": "too deeply nested"}
    return {"kind": "failed", "message": f"{type(exc).__name__}: {exc}"}


def handle(env: ImmutableSandboxedEnvironment, request: dict[str, Any]) -> dict[str, Any]:
    limit = int(request.get("max_output", 1_000_000))
    env.call_binop = _binop(limit)  # type: ignore[method-assign]
    context = request.get("context") or {}
    out = {}
    for name, source in request["templates"].items():
        try:
            out[name] = _render(env, source, context, limit)
        except Exception as exc:  # the template's own error: it fails, the process lives on
            return {"error": {**_error(exc), "template": name}}
    return {"ok": out}


def main() -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ValueError, OSError):  # pragma: no cover - a platform without the limit
        pass
    env = _environment()
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            answer = handle(env, request)
        except MemoryError:
            answer = {"error": {"kind": "too_large", "message": "out of memory"}}
        except Exception as exc:
            answer = {"error": {"kind": "failed", "message": f"bad request: {exc}"}}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

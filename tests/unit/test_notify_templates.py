"""Templates in the sandbox (SPEC R2): the shipped defaults render for every event type, and a
template that does not compile, reaches outside the sandbox, fails, is huge or runs for ever
is refused with `invalid_template` — in bounded time, with the renderer still working."""

from __future__ import annotations

import time

import pytest

from prorata.domain.errors import InvalidInput
from prorata.domain.events import EVENT_TYPES
from prorata.notify.sandbox import Renderer, TemplateError
from prorata.notify.templates import (
    MAX_BODY,
    check_template,
    default_template,
    render,
    sample_context,
)


@pytest.fixture(scope="module")
def renderer():
    r = Renderer(timeout=1.0)
    yield r
    r.close()


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_has_a_default_that_renders(event_type, renderer):
    # SPEC R2: an operator default for every event type ships with the product.
    template = default_template(event_type)
    subject, body = render(template, sample_context(event_type), renderer)
    assert subject and "\n" not in subject
    assert body.startswith("Hello") and body.endswith("\n")


def test_the_expiring_default_lists_the_recommendations(renderer):
    # SPEC R1/R2, seed 000: upgrade offers in the expiring-subscription template.
    _, body = render(default_template("subscription_expiring"),
                     sample_context("subscription_expiring"), renderer)
    assert "Microsoft 365 Business Standard: 12.50 USD" in body
    assert "renews automatically" in body


ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ customer.__class__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ customer.update({'name': 'x'}) }}",
    "{{ self._TemplateReference__context }}",
    "{% set x = customer.pop('id') %}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_reaching_outside_the_sandbox_is_refused(source, renderer):
    with pytest.raises(InvalidInput) as refused:
        check_template("subscription_expiring", "Hi", source, renderer)
    assert refused.value.code == "invalid_template" and refused.value.param == "body"


@pytest.mark.parametrize("subject,body,why", [
    ("Hi", "{% if %}", "does not compile"),
    ("{{ 1 / 0 }}", "x", "fails on a sample"),
    ("Hi", "{{ range(10**9) | list }}", "fails on a sample"),
    ("Hi", "{{ 'x' * 10**9 }}", "renders too much"),
    ("Hi", "{{ [1] * 10**8 }}", "renders too much"),
    ("Hi", "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", "renders too much"),
])
def test_templates_that_fail_on_the_sample_are_refused(subject, body, why, renderer):
    with pytest.raises(InvalidInput) as refused:
        check_template("subscription_renewed", subject, body, renderer)
    assert refused.value.code == "invalid_template" and why in refused.value.message


def test_a_template_that_loops_for_ever_is_stopped_in_time(renderer):
    # Time-boxed: the render process is killed at the timeout; the next render works.
    loop = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(InvalidInput) as refused:
        check_template("subscription_renewed", "Hi", loop, renderer)
    assert "takes too long" in refused.value.message
    assert time.monotonic() - started < 10
    assert render(default_template("subscription_renewed"),
                  sample_context("subscription_renewed"), renderer)[0].startswith("Renewed")


def test_a_huge_allocation_fails_in_the_render_process_not_the_server(renderer):
    with pytest.raises(TemplateError) as failed:
        renderer.render({"b": "{{ 'a' | center(2000000000) }}"}, {})
    assert failed.value.kind == "too_large"
    assert renderer.render({"b": "ok"}, {}) == {"b": "ok"}


def test_huge_and_empty_templates_are_refused_before_rendering(renderer):
    with pytest.raises(InvalidInput) as refused:
        check_template("subscription_renewed", "Hi", "x" * (MAX_BODY + 1), renderer)
    assert refused.value.code == "invalid_template" and refused.value.param == "body"
    with pytest.raises(InvalidInput) as refused:
        check_template("subscription_renewed", "  ", "body", renderer)
    assert refused.value.code == "missing_field"
    with pytest.raises(InvalidInput) as refused:
        check_template("subscription_renewed", "{{ '' }}", "body", renderer)
    assert refused.value.code == "invalid_template" and refused.value.param == "subject"


def test_a_subject_renders_as_one_line(renderer):
    template = check_template("subscription_renewed", "A\n{{ customer.name }}\nB", "x",
                              renderer)
    assert render(template, sample_context("subscription_renewed"), renderer)[0] == \
        "A Acme Corp B"


def test_missing_values_render_empty_rather_than_failing(renderer):
    # Lenient on purpose: an event type's data may gain or lack fields; `x.y` of a missing
    # value is empty, like any Jinja2 template.
    template = check_template("payment_failed", "Hi {{ subscription.id }}",
                              "{{ data.nothing.deeper }}.", renderer)
    assert render(template, sample_context("payment_failed"), renderer) == ("Hi", ".\n")

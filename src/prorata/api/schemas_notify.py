"""Request bodies of the notification routes (SPEC R2, R3). The sizes here only keep a body
within reason; the services answer the finer limits with their own codes (a template too
large is `invalid_template`, a URL too long `invalid_url`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from prorata.api.schemas import Body, Code, Ident, Text

TemplateText = Annotated[str, StringConstraints(max_length=1_000_000)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=8192),
                Field(examples=["https://example.com/webhooks/prorata"])]


class TemplateIn(Body):
    subject: TemplateText = Field(description="Jinja2 (sandboxed), one line once rendered")
    body: TemplateText = Field(description="Jinja2 (sandboxed), plain text")
    reseller: Ident | None = Field(default=None, description="a reseller's template for its "
                                   "subtree (SPEC P3); none: the caller's own (operator: the "
                                   "default)")


class TemplatePreviewIn(Body):
    subscription: Ident
    subject: TemplateText | None = Field(default=None, description="a draft to preview")
    body: TemplateText | None = Field(default=None, description="a draft to preview")


class WebhookEndpointIn(Body):
    id: Ident | None = None
    url: Url
    events: list[Code] | None = Field(default=None, max_length=100,
                                      description="event types; none or []: every type")
    reseller: Ident | None = Field(default=None, description="the reseller whose subtree's "
                                   "events it receives")
    description: Text | None = None


class WebhookEndpointPatchIn(Body):
    url: Url | None = None
    events: list[Code] | None = Field(default=None, max_length=100)
    description: Text | None = None
    enabled: bool | None = None


class WebhookSettingsIn(Body):
    block_private_networks: bool = Field(description="refuse receivers on private, loopback "
                                         "and reserved addresses")

"""The public HTTP API; its contract is served as /openapi.json."""

from prorata.api.app import create_app

__all__ = ["create_app"]

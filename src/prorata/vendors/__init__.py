"""Vendor connectors (SPEC V1-V5): the SDK, the built-ins and the plugin registry."""

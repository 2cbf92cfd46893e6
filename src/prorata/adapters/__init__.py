"""Adapters: the outside world (database, vendors, gateways) behind the services' ports."""

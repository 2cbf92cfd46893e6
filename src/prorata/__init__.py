"""Prorata: subscription lifecycle and billing for cloud-service brokers."""

__version__ = "0.1.0"

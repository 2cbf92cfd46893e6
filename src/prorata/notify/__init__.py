"""Notifications (SPEC R1-R4): templates rendered in a sandbox, e-mail over SMTP and signed
webhooks, delivered by the background worker from the events every change stores."""

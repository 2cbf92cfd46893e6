"""The built-in connectors (SPEC V3): `instant` completes at once; `simulated` answers on a
chosen worker round and fails as configured, deterministically from `seed`, for development and
tests. Neither talks to anybody, so both keep no state: what `simulated` answers is drawn from
the seed and what the request is about, and its rounds are the worker's attempts."""

from __future__ import annotations

import json
import random
from typing import Any

from prorata.vendors.sdk import VERBS, Connector, Outcome, SettingsError, VendorRequest

_TYPE_OF = {verb: op_type for op_type, verb in VERBS.items()}
MAX_POLLS = 1000


class Instant(Connector):
    description = "completes every operation at once"

    def __init__(self, settings: dict[str, Any]) -> None:
        if settings:
            raise SettingsError(f"instant takes no settings, got {sorted(settings)}")
        super().__init__(settings)

    def immediate(self, request: VendorRequest) -> Outcome | None:
        return Outcome.completed()


class Simulated(Connector):
    description = "answers on worker round `polls`, fails per `fail` / `failure_rate` / `seed`"

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__(settings)
        unknown = set(settings) - {"polls", "fail", "failure_rate", "seed", "message"}
        if unknown:
            raise SettingsError(f"unknown simulated settings: {', '.join(sorted(unknown))}")
        polls = settings.get("polls", 1)
        if isinstance(polls, bool) or not isinstance(polls, int) or not 0 <= polls <= MAX_POLLS:
            raise SettingsError(f"polls must be a whole number from 0 to {MAX_POLLS}")
        fail = settings.get("fail", [])
        if not isinstance(fail, list) or any(f not in VERBS and f not in _TYPE_OF
                                             for f in fail):
            raise SettingsError(f"fail must be a list of operation types ({', '.join(VERBS)})")
        rate = settings.get("failure_rate", 0)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, str)):
            raise SettingsError("failure_rate must be a number from 0 to 1")
        try:
            self.failure_rate = float(rate)  # a probability, not money
        except ValueError as exc:
            raise SettingsError("failure_rate must be a number from 0 to 1") from exc
        if not 0 <= self.failure_rate <= 1:
            raise SettingsError("failure_rate must be a number from 0 to 1")
        seed = settings.get("seed", 0)
        if not isinstance(seed, (int, str)) or isinstance(seed, bool):
            raise SettingsError("seed must be a number or a string")
        message = settings.get("message", "the vendor refused the operation")
        if not isinstance(message, str) or not 0 < len(message) <= 1000:
            raise SettingsError("message must be a text of 1 to 1000 characters")
        self.polls, self.seed, self.message = polls, seed, message
        self.fail = {VERBS.get(f, f) for f in fail}

    def _fails(self, request: VendorRequest) -> bool:
        if request.verb in self.fail:
            return True
        # Keyed by what the request is about, not by the random operation id, so that the same
        # scenario draws the same failures on every run.
        about = json.dumps([request.subscription.get("id"), request.verb, request.params],
                           sort_keys=True, default=str)
        draw = random.Random(f"{self.seed}:{about}").random()
        return draw < self.failure_rate

    def _answer(self, request: VendorRequest) -> Outcome:
        return Outcome.failed(self.message) if self._fails(request) else Outcome.completed()

    def immediate(self, request: VendorRequest) -> Outcome | None:
        return self._answer(request) if self.polls == 0 else None

    def call(self, request: VendorRequest) -> Outcome:
        if self.polls <= 1:
            return self._answer(request)
        return Outcome.pending(f"sim:{request.operation_id}")

    def poll(self, reference: str, request: VendorRequest, attempt: int) -> Outcome:
        if attempt >= self.polls:
            return self._answer(request)
        return Outcome.pending(reference)

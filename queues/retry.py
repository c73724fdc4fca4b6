"""When a nacked or expired message is tried again, and when it goes to the dead-letter queue."""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` deliveries at most; after the last one fails the message is dead-lettered.

    The delay after attempt n is base * 2**(n-1), capped at `max_delay_seconds`, with "equal jitter": half of it
    fixed and half random, so retries of many messages spread out but never come back at once.
    """

    max_attempts: int = 5
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.base_delay_seconds < 0 or self.max_delay_seconds < 0:
            raise ValueError("retry delays must not be negative")

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** min(max(attempts - 1, 0), 62))
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)

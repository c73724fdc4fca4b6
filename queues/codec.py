"""The seam for payload encryption at rest: the store passes every payload through a codec.

Each row records the name of the codec that wrote it, so a store never decodes a payload with the wrong codec.
"""
from __future__ import annotations

from typing import Protocol


class PayloadCodec(Protocol):
    name: str

    def encode(self, payload: bytes) -> bytes: ...

    def decode(self, stored: bytes) -> bytes: ...


class IdentityCodec:
    """Stores payloads as they are."""

    name = "identity"

    def encode(self, payload: bytes) -> bytes:
        return payload

    def decode(self, stored: bytes) -> bytes:
        return stored

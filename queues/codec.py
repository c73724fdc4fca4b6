"""The seam for payload encryption at rest: the store passes every payload through a codec.

Each row records the name of the codec that wrote it, so a store never decodes a payload with the wrong codec;
rows written by IdentityCodec stay readable after a store switches to another codec. The message id is passed
so a codec can bind a payload to its row (encryption.EncryptingCodec does).
"""
from __future__ import annotations

from typing import Protocol


class PayloadCodec(Protocol):
    name: str

    def encode(self, payload: bytes, message_id: str) -> bytes: ...

    def decode(self, stored: bytes, message_id: str) -> bytes: ...

    def is_current(self, stored: bytes) -> bool:
        """Whether `stored` is already in this codec's current form (e.g. under the primary key); payloads that
        are not get rewritten by `Store.rewrite_payloads`."""
        ...


class IdentityCodec:
    """Stores payloads as they are."""

    name = "identity"

    def encode(self, payload: bytes, message_id: str) -> bytes:
        return payload

    def decode(self, stored: bytes, message_id: str) -> bytes:
        return stored

    def is_current(self, stored: bytes) -> bool:
        return True

"""What the store raises. The gateway maps StoreUnavailable to 503, StateConflict to 409, MessageNotFound to 404."""
from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class StoreUnavailable(StoreError):
    """The store cannot do its job: the database is locked, read-only, full, corrupt or unreachable.

    The message says which database, what is wrong and what to do about it.
    """


class SchemaVersionError(StoreUnavailable):
    """The database schema is newer than this Ketenpoort knows, or older while migrations are switched off."""


class MessageNotFound(StoreError):
    """No message with that id in the journal."""

    def __init__(self, message_id: str) -> None:
        super().__init__(f"no message with id {message_id!r}")


class StateConflict(StoreError):
    """The message exists but is not in the state the call needs."""


class LeaseLost(StateConflict):
    """ack/nack with a token that is not the message's current lease (it expired and was leased again, or it died)."""


class NotDeadLettered(StateConflict):
    """replay of a message that is not on a dead-letter queue."""

"""The durable store: journal + queues + state behind one interface (`Store`), backends SQLite and PostgreSQL.

Never imports `gateway` or `connectors`.
"""
from .checked_append import Appending, RegisterReader
from .codec import IdentityCodec, PayloadCodec
from .errors import (
    LeaseLost, MessageNotFound, NotDeadLettered, SchemaVersionError, StateConflict, StoreError, StoreUnavailable,
)
from .factory import open_store
from .model import (
    AppendResult, DeadLetter, LeasedMessage, MessageEntry, MessageRecord, QueueStats, SearchFilters, SearchPage,
    TimelineEvent, WriteTiming, new_message_id,
)
from .retry import RetryPolicy
from .statistics import AnswerTimeCount, MessageCount, PartnerDeliveries, RetourcodeCount
from .store import Store

__all__ = [
    "AnswerTimeCount", "AppendResult", "Appending", "DeadLetter", "IdentityCodec", "LeaseLost", "LeasedMessage",
    "MessageCount", "MessageEntry", "MessageNotFound", "MessageRecord", "NotDeadLettered", "PartnerDeliveries",
    "PayloadCodec", "QueueStats", "RegisterReader", "RetourcodeCount", "RetryPolicy", "SchemaVersionError",
    "SearchFilters", "SearchPage", "StateConflict", "Store", "StoreError", "StoreUnavailable", "TimelineEvent",
    "WriteTiming", "new_message_id", "open_store",
]

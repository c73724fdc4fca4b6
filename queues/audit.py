"""Tamper-evident audit log: append-only records in one SHA-256 hash chain, and its verification.

Every payload view, lookup, replay, configuration change and login is one record. A record's hash is SHA-256 over
the previous record's hash and the canonical JSON of the record (sequence number included), so editing a record,
inserting one or removing one breaks the chain at a nameable sequence number. A one-row head (last sequence number
and hash), written in the same transaction as each record, catches records cut from the end and is the lock that
keeps appends from several processes in one chain.

The chain proves integrity against edits through the database, not against someone who rewrites the whole chain and
the head: for that, keep the head that `ketenpoort audit verify` prints somewhere else (syslog, a ticket).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

GENESIS_HASH = "0" * 64

# The actions the gateway records; other strings are allowed for new kinds of events.
PAYLOAD_VIEW = "payload.view"
LOOKUP = "lookup"
REPLAY = "replay"
CONFIG_CHANGE = "config.change"
LOGIN = "login"
RETENTION_PURGE = "retention.purge"
KEY_REENCRYPT = "keys.reencrypt"


@dataclass(frozen=True)
class AuditEvent:
    """What happened, before it gets its place in the chain. `detail` must hold no personal data in clear."""

    actor: str
    role: str
    action: str
    object_id: str = ""
    purpose: str = ""
    outcome: str = "success"
    detail: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        _refuse_clear_bsn(self.detail, "detail")


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: str
    actor: str
    role: str
    action: str
    object_id: str
    purpose: str
    outcome: str
    detail: dict
    prev_hash: str
    hash: str

    @classmethod
    def chained(cls, event: AuditEvent, seq: int, prev_hash: str, at: str | None = None) -> AuditRecord:
        at = at or datetime.now(timezone.utc).isoformat(timespec="microseconds")
        fields = {"seq": seq, "at": at, **asdict(event)}
        return cls(**fields, prev_hash=prev_hash, hash=record_hash(prev_hash, fields))

    def content(self) -> dict:
        """The hashed fields: everything but the two hashes."""
        fields = asdict(self)
        del fields["prev_hash"], fields["hash"]
        return fields

    def detail_json(self) -> str:
        return canonical_json(self.detail)


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_hash(prev_hash: str, content: dict) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical_json(content)}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verification:
    intact: bool
    records: int
    head_seq: int
    head_hash: str
    problem: str = ""
    bad_seq: int | None = None

    def summary(self) -> str:
        if self.intact:
            return f"audit log intact: {self.records} records, head seq={self.head_seq} hash={self.head_hash}"
        return f"audit log NOT intact: {self.problem}"


class ChainVerifier:
    """Feed records in sequence order, then the stored head; stops at the first break."""

    def __init__(self) -> None:
        self.count = 0
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.failure: Verification | None = None

    def feed(self, record: AuditRecord) -> bool:
        """Check one record; False once the chain is broken (the failure names the record)."""
        expected = self.last_seq + 1
        if record.seq != expected:
            missing = f"record {expected}" if record.seq == expected + 1 else f"records {expected}..{record.seq - 1}"
            return self._broken(expected, f"{missing} removed (sequence jumps from {self.last_seq} to {record.seq})")
        if record.prev_hash != self.last_hash:
            return self._broken(record.seq, f"record {record.seq} does not link to record {self.last_seq}: "
                                            f"{self.last_seq} was inserted or replaced, or records were re-ordered")
        if record_hash(record.prev_hash, record.content()) != record.hash:
            return self._broken(record.seq, f"record {record.seq} was edited (its hash does not match its content)")
        self.count += 1
        self.last_seq, self.last_hash = record.seq, record.hash
        return True

    def finish(self, head_seq: int, head_hash: str) -> Verification:
        if self.failure:
            return self.failure
        if head_seq > self.last_seq:
            first = self.last_seq + 1
            missing = f"record {first}" if head_seq == first else f"records {first}..{head_seq}"
            return self.fail(first, f"{missing} removed from the end (the head says {head_seq}, the log ends at "
                                    f"{self.last_seq})")
        if (head_seq, head_hash) != (self.last_seq, self.last_hash):
            return self.fail(self.last_seq, f"record {self.last_seq} does not match the chain head (replaced outside "
                                            f"the audit log)")
        return Verification(True, self.count, self.last_seq, self.last_hash)

    def fail(self, seq: int, problem: str) -> Verification:
        self.failure = Verification(False, self.count, self.last_seq, self.last_hash, problem, seq)
        return self.failure

    def _broken(self, seq: int, problem: str) -> bool:
        self.fail(seq, problem)
        return False


def _refuse_clear_bsn(value: object, where: str) -> None:
    """A detail value that is a valid BSN is a programming error: callers store the BSN search key instead."""
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_clear_bsn(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _refuse_clear_bsn(item, f"{where}[{index}]")
    elif isinstance(value, (str, int)) and not isinstance(value, bool) and _is_bsn(str(value).strip()):
        raise ValueError(f"audit {where} looks like a BSN in clear; record the BSN search key instead")


def _is_bsn(text: str) -> bool:
    """The eleven test (elfproef) of a 9-digit BSN."""
    if len(text) != 9 or not text.isdigit() or text == "000000000":
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(digit) * weight for digit, weight in zip(text, weights)) % 11 == 0

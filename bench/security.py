"""Benchmark of security at rest on the SQLite store, against limits measured in the same run.

1. Encryption: messages appended per second with payloads encrypted (AES-256-GCM, bound to the message id)
   against the same store storing them plain. Target: at least 0.8x.
2. Audit trail: records appended per second (one hash chain, serialised on its head row) against messages
   appended per second by the same number of concurrent callers. Target: at least 0.5x.
3. Verification: audit records checked per second against reading the same rows through the store.

    python bench/security.py [--quick]

Best of several interleaved trials (a shared machine disturbs both sides alike). The last line is
`RESULT key=value ...`.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from queues import MessageEntry, open_store  # noqa: E402
from queues.audit import PAYLOAD_VIEW, AuditEvent  # noqa: E402
from queues.audit_ops import PAGE  # noqa: E402
from queues.encryption import EncryptingCodec, KeyRing  # noqa: E402

CALLERS = 20
PAYLOAD = b"<Bericht><Bsn>999993653</Bsn>" + b"x" * 2000 + b"</Bericht>"  # about the size of a WMO301
ENTRY = MessageEntry(payload=PAYLOAD, standard="iwmo", message_type="WMO301", direction="inbound", tenant="0448",
                     partner="12345678", queue="inbox:0448")
EVENT = AuditEvent(actor="operator-anna", role="operator", action=PAYLOAD_VIEW, object_id="0190a1b2-msg",
                   purpose="support ticket", detail={"tenant": "0448"})


async def concurrently(count: int, call) -> float:
    """Seconds for `count` calls made by CALLERS concurrent callers."""
    async def caller(share: int) -> None:
        for _ in range(share):
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(caller(count // CALLERS) for _ in range(CALLERS)))
    return time.perf_counter() - start


async def run(count: int, trials: int, directory: Path) -> dict[str, float]:
    plain = open_store(f"sqlite:///{directory / 'plain.db'}")
    encrypted = open_store(f"sqlite:///{directory / 'encrypted.db'}",
                           payload_codec=EncryptingCodec(KeyRing.generate()))
    best = {"plain": 0.0, "encrypted": 0.0, "audit": 0.0, "verify": 0.0, "read": 0.0}
    async with plain, encrypted:
        for _ in range(trials):
            best["plain"] = max(best["plain"], count / await concurrently(count, lambda: plain.append(ENTRY)))
            best["encrypted"] = max(best["encrypted"],
                                    count / await concurrently(count, lambda: encrypted.append(ENTRY)))
            best["audit"] = max(best["audit"], count / await concurrently(count, lambda: plain.audit(EVENT)))
        for _ in range(trials):
            start = time.perf_counter()
            result = await plain.verify_audit()
            best["verify"] = max(best["verify"], result.records / (time.perf_counter() - start))
            start = time.perf_counter()
            after = read = 0
            while batch := await plain.audit_records(after_seq=after, limit=PAGE):
                after, read = batch[-1].seq, read + len(batch)
            best["read"] = max(best["read"], read / (time.perf_counter() - start))
        assert result.intact, result.summary()
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages and trials")
    args = parser.parse_args()
    count, trials = (1000, 2) if args.quick else (4000, 3)
    with tempfile.TemporaryDirectory() as directory:
        best = asyncio.run(run(count, trials, Path(directory)))
    encryption_ratio = best["encrypted"] / best["plain"]
    audit_ratio = best["audit"] / best["plain"]
    verify_ratio = best["verify"] / best["read"]
    print(f"appends/s plain {best['plain']:.0f}, encrypted {best['encrypted']:.0f}: ratio {encryption_ratio:.2f} "
          f"(target >= 0.8)")
    print(f"audit records/s {best['audit']:.0f} against appends/s {best['plain']:.0f}: ratio {audit_ratio:.2f} "
          f"(target >= 0.5)")
    print(f"audit records verified/s {best['verify']:.0f}, read/s {best['read']:.0f}: ratio {verify_ratio:.2f}")
    print(f"RESULT encryption_ratio={encryption_ratio:.2f} audit_ratio={audit_ratio:.2f} "
          f"verify_ratio={verify_ratio:.2f} encrypted_appends_per_s={best['encrypted']:.0f} "
          f"audit_per_s={best['audit']:.0f} verify_per_s={best['verify']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Encryption at rest: round trip, rotation, wrong keys, tampering, key file handling, the BSN search hash."""
from __future__ import annotations

import asyncio
import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from queues.encryption import (
    COMPRESSED_VERSION,
    KEYS_ENV_VAR,
    PLAIN_VERSION,
    EncryptingCodec,
    KeyRing,
    KeyRingError,
    KeyRingSource,
    PayloadIntegrityError,
    UnknownKeyError,
    parse_header,
)

PAYLOAD = "<Bericht><Bsn>999993653</Bsn><Achternaam>Jansen</Achternaam></Bericht>".encode()


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "keys.json"
    KeyRing.generate().save(path, create=True)
    return path


def test_round_trip_hides_the_plaintext():
    ring = KeyRing.generate()
    blob = ring.encrypt(PAYLOAD, "message:m1:xml")
    assert b"999993653" not in blob and b"Jansen" not in blob
    assert ring.decrypt(blob, "message:m1:xml") == PAYLOAD


def test_each_encryption_uses_a_fresh_nonce():
    ring = KeyRing.generate()
    assert ring.encrypt(PAYLOAD, "c") != ring.encrypt(PAYLOAD, "c")


def test_payload_moved_to_another_row_is_detected():
    ring = KeyRing.generate()
    blob = ring.encrypt(PAYLOAD, "message:m1:xml")
    with pytest.raises(PayloadIntegrityError, match="message:m2:xml"):
        ring.decrypt(blob, "message:m2:xml")


@pytest.mark.parametrize("position", [-1, -20, 30])
def test_tampered_ciphertext_is_detected(position):
    ring = KeyRing.generate()
    blob = bytearray(ring.encrypt(PAYLOAD, "c"))
    blob[position] ^= 0x01
    with pytest.raises(PayloadIntegrityError, match="authentication failed"):
        ring.decrypt(bytes(blob), "c")


def test_compressed_payloads_are_smaller_and_read_back_alike():
    ring = KeyRing.generate()
    xml = b"<Bericht>" + b"".join(b"<Product><Code>%05d</Code><Volume>12</Volume></Product>" % n
                                  for n in range(60)) + b"</Bericht>"
    compressed, plain = ring.encrypt(xml, "c", compress=True), ring.encrypt(xml, "c")
    assert len(compressed) < len(xml) / 4 < len(plain)
    assert (parse_header(compressed).version, parse_header(plain).version) == (COMPRESSED_VERSION, PLAIN_VERSION)
    assert ring.decrypt(compressed, "c") == ring.decrypt(plain, "c") == xml


def test_the_compression_flag_is_authenticated():
    ring = KeyRing.generate()
    blob = bytearray(ring.encrypt(PAYLOAD, "c", compress=True))
    blob[2] = PLAIN_VERSION  # read as if not compressed: the header is part of what the tag covers
    with pytest.raises(PayloadIntegrityError, match="authentication failed"):
        ring.decrypt(bytes(blob), "c")


def test_threads_compress_and_decompress_at_once():
    ring = KeyRing.generate()
    payloads = [PAYLOAD * n for n in range(1, 200)]

    def round_trip(payload: bytes) -> bytes:
        return ring.decrypt(ring.encrypt(payload, "c", compress=True), "c")

    with ThreadPoolExecutor(8) as threads:
        assert list(threads.map(round_trip, payloads)) == payloads


def test_plaintext_and_truncated_payloads_are_rejected_clearly():
    ring = KeyRing.generate()
    with pytest.raises(PayloadIntegrityError, match="not an encrypted payload"):
        ring.decrypt(PAYLOAD, "c")
    with pytest.raises(PayloadIntegrityError, match="truncated"):
        ring.decrypt(ring.encrypt(PAYLOAD, "c")[:20], "c")


def test_wrong_key_ring_names_the_missing_key():
    blob = KeyRing.generate().encrypt(PAYLOAD, "c")
    with pytest.raises(UnknownKeyError, match=parse_header(blob)[0]):
        KeyRing.generate().decrypt(blob, "c")


def test_rotation_keeps_old_payloads_readable_and_uses_the_new_key():
    ring = KeyRing.generate()
    old_blob = ring.encrypt(PAYLOAD, "c")
    rotated = ring.rotated()
    new_blob = rotated.encrypt(PAYLOAD, "c")
    assert rotated.primary != ring.primary
    assert parse_header(old_blob)[0] == ring.primary
    assert parse_header(new_blob)[0] == rotated.primary
    assert rotated.decrypt(old_blob, "c") == rotated.decrypt(new_blob, "c") == PAYLOAD
    assert rotated.search_key == ring.search_key


def test_key_file_is_private_and_survives_a_round_trip(key_file):
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    ring = KeyRing.from_file(key_file)
    ring.rotated().save(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert set(KeyRing.from_file(key_file).keys) > set(ring.keys)


def test_init_refuses_to_overwrite(key_file):
    with pytest.raises(KeyRingError, match="already exists"):
        KeyRing.generate().save(key_file, create=True)


def test_key_file_readable_by_others_is_refused(key_file):
    os.chmod(key_file, 0o644)
    with pytest.raises(KeyRingError, match="chmod 600"):
        KeyRing.from_file(key_file)


def test_missing_key_file_says_how_to_create_it(tmp_path):
    with pytest.raises(KeyRingError, match="keys init"):
        KeyRing.from_file(tmp_path / "absent.json")


@pytest.mark.parametrize("mutate, message", [
    (lambda doc: doc.update(primary="nope"), "primary key 'nope'"),
    (lambda doc: doc["keys"][0].update(key="c2hvcnQ="), r"keys\[0\].key: expected 32 bytes"),
    (lambda doc: doc["keys"][0].update(id="bad id!"), r"keys\[0\]: id must be"),
    (lambda doc: doc.pop("search_key"), "search_key"),
    (lambda doc: doc.update(format=7), "format"),
])
def test_broken_key_document_names_what_is_wrong(mutate, message):
    doc = json.loads(KeyRing.generate().to_json())
    mutate(doc)
    with pytest.raises(KeyRingError, match=message):
        KeyRing.from_json(json.dumps(doc), source="test")


def test_key_document_that_is_not_json_names_the_line():
    with pytest.raises(KeyRingError, match="line 2"):
        KeyRing.from_json("{\n  oops", source="test")


def test_keys_from_the_environment():
    ring = KeyRing.generate()
    source = KeyRingSource(environ={KEYS_ENV_VAR: ring.to_json()})
    assert source.decrypt(ring.encrypt(PAYLOAD, "c"), "c") == PAYLOAD


def test_no_keys_configured_is_a_clear_error():
    with pytest.raises(KeyRingError, match=KEYS_ENV_VAR):
        KeyRingSource(environ={})


def test_source_reloads_a_rotated_file(key_file):
    source = KeyRingSource(key_file)
    first_primary = source.ring.primary
    KeyRing.from_file(key_file).rotated().save(key_file)
    assert source.reload_if_changed()
    assert source.ring.primary != first_primary
    assert not source.reload_if_changed()


def test_source_reads_payloads_of_a_process_that_rotated_first(key_file):
    lagging = KeyRingSource(key_file)
    rotated = KeyRing.from_file(key_file).rotated()
    rotated.save(key_file)
    assert lagging.decrypt(rotated.encrypt(PAYLOAD, "c"), "c") == PAYLOAD


def test_failed_reload_keeps_the_current_ring(key_file):
    source = KeyRingSource(key_file)
    ring = source.ring
    key_file.write_text("not json")
    with pytest.raises(KeyRingError):
        source.reload()
    assert source.ring is ring


def test_bsn_search_key_is_keyed_and_normalised():
    ring = KeyRing.generate()
    assert ring.bsn_search_key("999993653") == ring.bsn_search_key(" 999993653 ")
    assert ring.bsn_search_key("12345672") == ring.bsn_search_key("012345672")
    assert ring.bsn_search_key("999993653") != KeyRing.generate().bsn_search_key("999993653")
    assert "999993653" not in ring.bsn_search_key("999993653")
    with pytest.raises(ValueError, match="8 or 9 digits"):
        ring.bsn_search_key("12-34")


@pytest.mark.parametrize("live", [False, True])
def test_codec_binds_payloads_to_their_message(live):
    ring = KeyRing.generate()
    codec = EncryptingCodec(KeyRingSource(environ={KEYS_ENV_VAR: ring.to_json()}) if live else ring)
    stored = codec.encode(PAYLOAD, "m1")
    assert codec.decode(stored, "m1") == PAYLOAD
    assert codec.is_current(stored) and not codec.is_current(PAYLOAD)
    with pytest.raises(PayloadIntegrityError, match="message:m2"):
        codec.decode(stored, "m2")


def test_codec_sees_payloads_under_an_old_key():
    ring = KeyRing.generate()
    stored = EncryptingCodec(ring).encode(PAYLOAD, "m1")
    assert not EncryptingCodec(ring.rotated()).is_current(stored)


def test_codec_compresses_and_sees_payloads_an_older_gateway_left_uncompressed():
    ring = KeyRing.generate()
    codec = EncryptingCodec(ring)
    assert parse_header(codec.encode(PAYLOAD, "m1")).version == COMPRESSED_VERSION
    older = ring.encrypt(PAYLOAD, "message:m1")
    assert codec.decode(older, "m1") == PAYLOAD
    assert not codec.is_current(older)


def test_try_reload_logs_and_keeps_the_ring_when_the_file_is_broken(key_file, caplog):
    source = KeyRingSource(key_file)
    ring = source.ring
    assert not source.try_reload(only_if_changed=True)
    key_file.write_text("{broken")
    assert not source.try_reload(only_if_changed=True)
    assert source.ring is ring
    assert "previous keys stay in use" in caplog.text
    KeyRing.from_json(ring.to_json(), "test").rotated().save(key_file)
    assert source.try_reload()
    assert source.ring.primary != ring.primary


async def test_watch_picks_up_a_rotation(key_file):
    source = KeyRingSource(key_file)
    first = source.primary
    task = asyncio.create_task(source.watch(interval=0.01))
    try:
        KeyRing.from_file(key_file).rotated().save(key_file)
        for _ in range(500):
            if source.primary != first:
                break
            await asyncio.sleep(0.01)
        assert source.primary != first
    finally:
        task.cancel()


def test_key_file_that_is_not_text_is_a_clear_error(key_file):
    key_file.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(KeyRingError, match="not UTF-8"):
        KeyRing.from_file(key_file)

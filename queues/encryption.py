"""Encryption at rest: a key ring, AES-256-GCM payload encryption and the keyed BSN search hash.

Key file (JSON, mode 0600, written by `ketenpoort keys init` / `keys rotate`)::

    {"format": 1, "primary": "k20260101-1a2b",
     "keys": [{"id": "k20260101-1a2b", "created": "2026-01-01T10:00:00Z", "key": "<base64, 32 bytes>"}],
     "search_key": "<base64, 32 bytes>"}

The same document may be given in the environment variable `KETENPOORT_KEYS` instead of a file.

Ciphertext layout (every stored payload)::

    b"KP" | version (1 byte) | key id length (1 byte) | key id (ASCII) | nonce (12 bytes) | AES-GCM ciphertext+tag

Version 1 encrypts the plaintext as given; version 2 (message payloads) compresses it first with Zstandard:
iWmo/iJw XML shrinks to a quarter at about 9 µs a message (zlib takes three times that for the same size). Only
someone who reads the store sees a payload's length, and nobody who can choose part of a plaintext sees it, so
compression gives nothing away.

The header is authenticated as part of the associated data, together with a caller-given context string that names
the row and field (for example ``"message:<id>:xml"``), so a payload copied into another row fails to decrypt.

Rotation: `keys rotate` adds a key and makes it primary; old keys stay for decryption. A process holding a
`KeyRingSource` re-reads the file when `reload()` is called (wire it to SIGHUP), when `watch()` notices the file
changed, and once whenever it meets a key id it does not know, so a process that has not reloaded yet still reads
payloads written by one that has.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import stat
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEYS_ENV_VAR = "KETENPOORT_KEYS"
KEY_FILE_FORMAT = 1
MAGIC = b"KP"
PLAIN_VERSION = 1
COMPRESSED_VERSION = 2
NONCE_BYTES = 12
KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_BSN = re.compile(r"\d{8,9}")
log = logging.getLogger(__name__)


class KeyRingError(Exception):
    """The key ring cannot be loaded or used (missing file, bad content, unsafe permissions, unknown key)."""


class UnknownKeyError(KeyRingError):
    """A payload names a key id that is not in the key ring."""

    def __init__(self, key_id: str, source: str) -> None:
        super().__init__(f"payload was encrypted with key {key_id!r}, which is not in the key ring ({source})")
        self.key_id = key_id


class PayloadIntegrityError(Exception):
    """A stored payload is not a valid ciphertext, was altered, or belongs to another row."""


@dataclass(frozen=True)
class Key:
    id: str
    created: str
    secret: bytes


class KeyRing:
    """Data keys by id (one of them primary, used for new payloads) and the separate BSN search key."""

    def __init__(self, keys: list[Key], primary: str, search_key: bytes, source: str = "key ring") -> None:
        self.keys = {key.id: key for key in keys}
        if primary not in self.keys:
            raise KeyRingError(f"{source}: primary key {primary!r} is not among the keys")
        self.primary = primary
        self.search_key = search_key
        self.source = source

    # --- loading and saving -------------------------------------------------------------------------------

    @classmethod
    def generate(cls) -> KeyRing:
        key = _new_key()
        return cls([key], key.id, secrets.token_bytes(KEY_BYTES), source="new key ring")

    @classmethod
    def from_json(cls, text: str, source: str) -> KeyRing:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KeyRingError(f"{source}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(doc, dict) or doc.get("format") != KEY_FILE_FORMAT:
            raise KeyRingError(f"{source}: expected a JSON object with \"format\": {KEY_FILE_FORMAT}")
        entries = doc.get("keys")
        if not isinstance(entries, list) or not entries:
            raise KeyRingError(f"{source}: \"keys\" must be a non-empty list")
        keys = [_key_from_json(entry, f"{source}: keys[{index}]") for index, entry in enumerate(entries)]
        return cls(keys, str(doc.get("primary")), _decode_secret(doc.get("search_key"), f"{source}: search_key"),
                   source=source)

    @classmethod
    def from_file(cls, path: str | Path) -> KeyRing:
        path = Path(path)
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            hint = f"create it with `ketenpoort keys init --file {path}`"
            raise KeyRingError(f"key file {path} does not exist ({hint})") from None
        except OSError as exc:
            raise KeyRingError(f"key file {path} cannot be read: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise KeyRingError(f"key file {path} is not UTF-8 text") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyRingError(f"key file {path} is accessible to others (mode {stat.S_IMODE(mode):04o}); "
                               f"run `chmod 600 {path}`")
        return cls.from_json(text, source=f"key file {path}")

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> KeyRing | None:
        text = (os.environ if environ is None else environ).get(KEYS_ENV_VAR)
        return None if not text else cls.from_json(text, source=f"environment variable {KEYS_ENV_VAR}")

    def to_json(self) -> str:
        return json.dumps({
            "format": KEY_FILE_FORMAT,
            "primary": self.primary,
            "keys": [{"id": k.id, "created": k.created, "key": _b64(k.secret)} for k in self.keys.values()],
            "search_key": _b64(self.search_key),
        }, indent=2) + "\n"

    def save(self, path: str | Path, *, create: bool = False) -> None:
        """Write the ring with mode 0600; `create` refuses to overwrite, otherwise the file is replaced atomically."""
        path = Path(path)
        if create:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                raise KeyRingError(f"key file {path} already exists; use `ketenpoort keys rotate`") from None
            _write_all(fd, self.to_json())
            return
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        _write_all(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), self.to_json())
        os.replace(temporary, path)

    def rotated(self) -> KeyRing:
        """A ring with one more key, which becomes primary; every old key stays for decryption."""
        key = _new_key()
        while key.id in self.keys:
            key = _new_key()
        return KeyRing([*self.keys.values(), key], key.id, self.search_key, source=self.source)

    # --- use ----------------------------------------------------------------------------------------------

    def encrypt(self, plaintext: bytes, context: str, *, compress: bool = False) -> bytes:
        """`compress`: compress the plaintext first (version 2), for payloads of some size."""
        key = self.keys[self.primary]
        version = COMPRESSED_VERSION if compress else PLAIN_VERSION
        header = MAGIC + bytes([version, len(key.id)]) + key.id.encode("ascii")
        nonce = secrets.token_bytes(NONCE_BYTES)
        if compress:
            plaintext = _ZSTD.compressor.compress(plaintext)
        return header + nonce + AESGCM(key.secret).encrypt(nonce, plaintext, header + context.encode("utf-8"))

    def decrypt(self, blob: bytes, context: str) -> bytes:
        sealed = parse_header(blob, context)
        key = self.keys.get(sealed.key_id)
        if key is None:
            raise UnknownKeyError(sealed.key_id, self.source)
        try:
            plaintext = AESGCM(key.secret).decrypt(sealed.nonce, sealed.body, sealed.header + context.encode("utf-8"))
        except InvalidTag:
            raise PayloadIntegrityError(f"payload {context}: authentication failed (altered, or copied from another "
                                        f"row)") from None
        # Authenticated, so the frame is one this gateway wrote (its size in its header): no bomb to guard against.
        return _ZSTD.decompressor.decompress(plaintext) if sealed.version == COMPRESSED_VERSION else plaintext

    def bsn_search_key(self, bsn: str) -> str:
        return bsn_search_key(bsn, self.search_key)


class Sealed(NamedTuple):
    """A stored payload taken apart: `header` is what the AES-GCM tag covers besides the context."""
    key_id: str
    version: int
    header: bytes
    nonce: bytes
    body: bytes


def parse_header(blob: bytes, context: str = "payload") -> Sealed:
    """Split a stored payload into its parts or say what is wrong with it."""
    if blob[:2] != MAGIC:
        raise PayloadIntegrityError(f"payload {context}: not an encrypted payload (no {MAGIC!r} header)")
    if len(blob) < 4 or blob[2] not in (PLAIN_VERSION, COMPRESSED_VERSION):
        raise PayloadIntegrityError(f"payload {context}: unsupported ciphertext version {blob[2:3].hex() or 'none'}")
    end = 4 + blob[3]
    header = blob[:end]
    nonce = blob[end:end + NONCE_BYTES]
    if len(nonce) != NONCE_BYTES:
        raise PayloadIntegrityError(f"payload {context}: truncated header")
    return Sealed(header[4:].decode("ascii", "replace"), blob[2], header, nonce, blob[end + NONCE_BYTES:])


class _Zstd(threading.local):
    """A compressor and decompressor per thread: making them costs three times their use on a message, and
    neither may be used by two threads at once."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor()
        self.decompressor = zstandard.ZstdDecompressor()


_ZSTD = _Zstd()  # threading.local: __init__ runs again in each thread that uses it


def bsn_search_key(bsn: str, search_key: bytes) -> str:
    """The keyed hash under which a BSN can be searched without being stored in clear (hex HMAC-SHA256)."""
    digits = bsn.strip()
    if not _BSN.fullmatch(digits):
        raise ValueError("a BSN has 8 or 9 digits")
    return hmac.new(search_key, digits.zfill(9).encode("ascii"), hashlib.sha256).hexdigest()


class KeyRingSource:
    """The live key ring of a process: loaded from a key file or `KETENPOORT_KEYS`, reloadable without restart."""

    def __init__(self, path: str | Path | None = None, environ: dict[str, str] | None = None) -> None:
        self.path = Path(path) if path else None
        self._environ = environ
        self._stamp: tuple[int, int, int] | None = None
        self.ring = self._load()

    def _load(self) -> KeyRing:
        if self.path is None:
            ring = KeyRing.from_environment(self._environ)
            if ring is None:
                raise KeyRingError(f"no key file configured and {KEYS_ENV_VAR} is not set")
            return ring
        self._stamp = self._file_stamp()
        return KeyRing.from_file(self.path)

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_ino, info.st_mtime_ns, info.st_size

    def reload(self) -> None:
        """Re-read the keys; on failure the current ring stays and the error propagates to the caller."""
        self.ring = self._load()

    def reload_if_changed(self) -> bool:
        if self.path is None or self._file_stamp() == self._stamp:
            return False
        self.reload()
        return True

    def try_reload(self, *, only_if_changed: bool = False) -> bool:
        """Reload (for SIGHUP and `watch`) and log the outcome; a broken key file keeps the current ring in use."""
        try:
            if only_if_changed and not self.reload_if_changed():
                return False
            if not only_if_changed:
                self.reload()
        except KeyRingError as exc:
            log.warning("key ring not reloaded, the previous keys stay in use: %s", exc)
            return False
        log.info("key ring reloaded: %d key(s), primary %s", len(self.ring.keys), self.primary)
        return True

    async def watch(self, interval: float = 30.0) -> None:
        """Periodic task: reload whenever the key file changed."""
        while True:
            await asyncio.sleep(interval)
            self.try_reload(only_if_changed=True)

    @property
    def primary(self) -> str:
        return self.ring.primary

    def encrypt(self, plaintext: bytes, context: str, *, compress: bool = False) -> bytes:
        return self.ring.encrypt(plaintext, context, compress=compress)

    def decrypt(self, blob: bytes, context: str) -> bytes:
        try:
            return self.ring.decrypt(blob, context)
        except UnknownKeyError:
            if self.path is None:
                raise
            # Another process may have rotated the shared key file before this one noticed.
            self.reload()
            return self.ring.decrypt(blob, context)

    def bsn_search_key(self, bsn: str) -> str:
        return self.ring.bsn_search_key(bsn)


class EncryptingCodec:
    """The store's payload codec: compressed, then AES-GCM under the primary key, each payload bound to its
    message id."""

    name = "aesgcm"

    def __init__(self, keys: KeyRing | KeyRingSource) -> None:
        self.keys = keys

    def encode(self, payload: bytes, message_id: str) -> bytes:
        return self.keys.encrypt(payload, f"message:{message_id}", compress=True)

    def decode(self, stored: bytes, message_id: str) -> bytes:
        return self.keys.decrypt(stored, f"message:{message_id}")

    def is_current(self, stored: bytes) -> bool:
        """Whether a stored payload is already compressed under the primary key (re-encryption skips it)."""
        try:
            sealed = parse_header(stored)
        except PayloadIntegrityError:
            return False
        return sealed.key_id == self.keys.primary and sealed.version == COMPRESSED_VERSION


def _new_key() -> Key:
    now = datetime.now(timezone.utc)
    return Key(f"k{now:%Y%m%d}-{secrets.token_hex(2)}", now.strftime("%Y-%m-%dT%H:%M:%SZ"),
               secrets.token_bytes(KEY_BYTES))


def _key_from_json(entry: object, where: str) -> Key:
    if not isinstance(entry, dict):
        raise KeyRingError(f"{where}: expected an object with id, created and key")
    key_id = entry.get("id")
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise KeyRingError(f"{where}: id must be 1-64 characters of A-Z a-z 0-9 . _ -")
    return Key(key_id, str(entry.get("created", "")), _decode_secret(entry.get("key"), f"{where}.key"))


def _decode_secret(value: object, where: str) -> bytes:
    try:
        secret = base64.b64decode(str(value), validate=True) if isinstance(value, str) else b""
    except binascii.Error:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise KeyRingError(f"{where}: expected {KEY_BYTES} bytes in base64")
    return secret


def _b64(secret: bytes) -> str:
    return base64.b64encode(secret).decode("ascii")


def _write_all(fd: int, text: str) -> None:
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())

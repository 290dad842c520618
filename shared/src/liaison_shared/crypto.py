"""Personal data at rest: AEAD with one data key per data subject (crypto-shredding).

Each subject's data key is wrapped by the master key from settings and stored beside the
data; erasing the wrapped key makes everything sealed with it unreadable — in the table,
in backups, anywhere a copy went — while the records that referred to it remain.

What is written now starts with a header — ``LKS\\x01``, the suite (1 AES-256-GCM, 2 SM4-GCM,
``CRYPTO_SUITE``) and the version of the master key that sealed it (0 under a data key) — which
is also bound in as associated data. So the master key can be rotated (``liaison rewrap``) and
the suite changed while everything written before still opens. Bytes without the header are
the first format: AES-GCM, under master key version 1.
"""

from __future__ import annotations

import base64
import contextlib
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, overload

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from .settings import Settings

NONCE = 12
TAG = 16
MAGIC = b"LKS\x01"
HEADER = len(MAGIC) + 3  # the suite's byte, the master key's version in two
Suite = Literal["aes-gcm", "sm4-gcm"]
SUITE_IDS: dict[Suite, int] = {"aes-gcm": 1, "sm4-gcm": 2}
SUITE_NAMES: dict[int, Suite] = {number: name for name, number in SUITE_IDS.items()}
DATA_KEY_BYTES: dict[Suite, int] = {"aes-gcm": 32, "sm4-gcm": 16}
SM4_KEY_INFO = b"cppcc-liaison sm4-gcm key"


class KeyErased(LookupError):
    """The subject's key was erased: its data is gone for good."""


class UnknownKeyVersion(LookupError):
    """Sealed under a master key version this process was not given (DATA_MASTER_KEYS_PREVIOUS)."""


def master_key_from(encoded: str) -> bytes:
    key = base64.b64decode(encoded)
    if len(key) != 32:
        raise ValueError("the master key is 32 bytes, base64-encoded")
    return key


def parse_master_key(text: str) -> tuple[int, bytes]:
    """``v2:<base64>`` → (2, key). A bare base64 key is version 1: the setting as it was before
    versions, so a deployment that names none keeps reading what it wrote."""
    if ":" not in text:
        return 1, master_key_from(text.strip())
    version, _, encoded = text.strip().partition(":")
    number = version[1:]
    if not (version.startswith("v") and number.isascii() and number.isdigit() and 1 <= int(number) <= 0xFFFF):
        raise ValueError("a master key is 'v<N>:<base64 of 32 bytes>' (N from 1) or bare base64 (version 1)")
    return int(number), master_key_from(encoded)


def new_data_key(suite: Suite = "aes-gcm") -> bytes:
    """A subject's own key: 32 bytes for AES-256-GCM, 16 for SM4."""
    return os.urandom(DATA_KEY_BYTES[suite])


@dataclass(frozen=True)
class Header:
    suite: Suite
    version: int


def header(suite: Suite, version: int) -> bytes:
    return MAGIC + bytes([SUITE_IDS[suite]]) + version.to_bytes(2, "big")


def header_of(sealed: bytes) -> Header | None:
    """The suite and master key version a ciphertext names; None for the first format."""
    suite = SUITE_NAMES.get(sealed[len(MAGIC)]) if len(sealed) >= HEADER and sealed.startswith(MAGIC) else None
    return None if suite is None else Header(suite, int.from_bytes(sealed[len(MAGIC) + 1:HEADER], "big"))


@lru_cache(maxsize=16)
def _sm4_key_of(key: bytes) -> bytes:
    # SM4 keys are 16 bytes: a 32-byte master key gives one through HKDF with SM3 (GB/T 32905),
    # so the SM4 suite uses no algorithm outside GM/T.
    return HKDF(hashes.SM3(), 16, salt=None, info=SM4_KEY_INFO).derive(key)


def _sm4(key: bytes) -> algorithms.SM4:
    return algorithms.SM4(key if len(key) == 16 else _sm4_key_of(key))


def _encrypt(suite: Suite, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    if suite == "aes-gcm":
        return AESGCM(key).encrypt(nonce, plaintext, aad)
    encryptor = Cipher(_sm4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def _decrypt(suite: Suite, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    if suite == "aes-gcm":
        return AESGCM(key).decrypt(nonce, sealed, aad)
    if len(sealed) < TAG:
        raise InvalidTag
    decryptor = Cipher(_sm4(key), modes.GCM(nonce, sealed[-TAG:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(sealed[:-TAG]) + decryptor.finalize()


def _seal(key: bytes, plaintext: bytes, aad: bytes, *, suite: Suite, version: int = 0) -> bytes:
    head = header(suite, version)
    nonce = os.urandom(NONCE)
    return head + nonce + _encrypt(suite, key, nonce, plaintext, head + aad)


def _open(keys: Callable[[int], bytes | None], sealed: bytes, aad: bytes) -> bytes:
    """Open with the key of the version the header names, or as the first format (version 1)."""
    found = header_of(sealed)
    key = keys(found.version) if found is not None else None
    if found is not None and key is not None:
        # a first-format nonce that happens to begin like a header (1 in 2**32) fails here, opens below
        with contextlib.suppress(InvalidTag):
            return _decrypt(found.suite, key, sealed[HEADER:HEADER + NONCE], sealed[HEADER + NONCE:],
                            sealed[:HEADER] + aad)
    first = keys(1)
    try:
        if first is None:
            raise InvalidTag
        return AESGCM(first).decrypt(sealed[:NONCE], sealed[NONCE:], aad)
    except InvalidTag:
        if found is not None and key is None:
            raise UnknownKeyVersion(f"sealed under master key version {found.version}, not configured") from None
        raise


def _aad(subject_id: uuid.UUID, field: str | None) -> bytes:
    return (b"key:" if field is None else f"{field}:".encode()) + subject_id.bytes


@dataclass(frozen=True)
class Keyring:
    """The master keys a process holds: the current one seals, every one opens; and the suite
    what is sealed now uses."""

    current: int
    keys: Mapping[int, bytes]
    suite: Suite = "aes-gcm"

    @property
    def current_header(self) -> bytes:
        """How everything sealed under the current key and suite begins (``liaison rewrap`` skips it)."""
        return header(self.suite, self.current)

    def new_data_key(self) -> bytes:
        return new_data_key(self.suite)

    def wrap(self, subject_id: uuid.UUID, data_key: bytes) -> bytes:
        return _seal(self.keys[self.current], data_key, _aad(subject_id, None), suite=self.suite,
                     version=self.current)

    def unwrap(self, subject_id: uuid.UUID, wrapped: bytes | None) -> bytes:
        if wrapped is None:
            raise KeyErased(str(subject_id))
        return _open(self.keys.get, wrapped, _aad(subject_id, None))

    def seal_secret(self, subject_id: uuid.UUID, field: str, secret: str) -> bytes:
        """A secret sealed by the master key itself (a webhook's signing secret), bound to its row."""
        return _seal(self.keys[self.current], secret.encode(), _aad(subject_id, field), suite=self.suite,
                     version=self.current)

    def open_secret(self, subject_id: uuid.UUID, field: str, sealed: bytes) -> str:
        return _open(self.keys.get, sealed, _aad(subject_id, field)).decode()

    def reseal(self, subject_id: uuid.UUID, field: str | None, sealed: bytes) -> bytes:
        """The same wrapped key (``field`` None) or sealed secret, under the current master key
        and suite; the data sealed with a wrapped key is not touched."""
        aad = _aad(subject_id, field)
        return _seal(self.keys[self.current], _open(self.keys.get, sealed, aad), aad, suite=self.suite,
                     version=self.current)


def keyring(settings: Settings) -> Keyring:
    """``DATA_MASTER_KEY`` (current), ``DATA_MASTER_KEYS_PREVIOUS`` and ``CRYPTO_SUITE``; raises
    ValueError, naming the setting but never a key, when they do not hold together."""
    return _keyring(settings.data_master_key.get_secret_value(),
                    settings.data_master_keys_previous.get_secret_value(), settings.crypto_suite)


@lru_cache(maxsize=8)
def _keyring(current: str, previous: str, suite: Suite) -> Keyring:
    try:
        version, key = parse_master_key(current)
    except ValueError as wrong:
        raise ValueError(f"DATA_MASTER_KEY: {wrong}") from None
    keys = {version: key}
    for entry in previous.replace(",", " ").split():
        try:
            old_version, old_key = parse_master_key(entry)
        except ValueError as wrong:
            raise ValueError(f"DATA_MASTER_KEYS_PREVIOUS: {wrong}") from None
        if keys.setdefault(old_version, old_key) != old_key:
            raise ValueError(f"DATA_MASTER_KEYS_PREVIOUS: two different master keys are version {old_version}")
    return Keyring(version, keys, suite)


@overload
def seal(data_key: bytes, subject_id: uuid.UUID, field: str, value: str, *, suite: Suite = ...) -> bytes: ...
@overload
def seal(data_key: bytes, subject_id: uuid.UUID, field: str, value: None, *, suite: Suite = ...) -> None: ...
@overload
def seal(data_key: bytes, subject_id: uuid.UUID, field: str, value: str | None, *,
         suite: Suite = ...) -> bytes | None: ...
def seal(data_key: bytes, subject_id: uuid.UUID, field: str, value: str | None, *,
         suite: Suite = "aes-gcm") -> bytes | None:
    """Encrypt one field; the subject and field name are bound in as associated data."""
    if value is None:
        return None
    return _seal(data_key, value.encode(), _aad(subject_id, field), suite=suite)


@overload
def open_(data_key: bytes, subject_id: uuid.UUID, field: str, sealed: bytes) -> str: ...
@overload
def open_(data_key: bytes, subject_id: uuid.UUID, field: str, sealed: None) -> None: ...
@overload
def open_(data_key: bytes, subject_id: uuid.UUID, field: str, sealed: bytes | None) -> str | None: ...
def open_(data_key: bytes, subject_id: uuid.UUID, field: str, sealed: bytes | None) -> str | None:
    if sealed is None:
        return None
    return _open(lambda _version: data_key, sealed, _aad(subject_id, field)).decode()


@dataclass(frozen=True)
class MasterSealed:
    """Where a service keeps what the master key sealed, for ``liaison rewrap``: a column of
    wrapped data keys (``field`` None) or of secrets sealed as ``field``, each bound to the uuid
    in ``id_column`` of its row."""

    table: str
    column: str
    id_column: str
    field: str | None = None

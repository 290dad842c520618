"""Personal data at rest: AES-GCM with one data key per data subject (crypto-shredding).

Each subject's data key is wrapped by the master key from settings and stored beside the
data; erasing the wrapped key makes everything sealed with it unreadable — in the table,
in backups, anywhere a copy went — while the records that referred to it remain.
"""

from __future__ import annotations

import base64
import os
import uuid
from typing import overload

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12


class KeyErased(LookupError):
    """The subject's key was erased: its data is gone for good."""


def master_key_from(encoded: str) -> bytes:
    key = base64.b64decode(encoded)
    if len(key) != 32:
        raise ValueError("the master key is 32 bytes, base64-encoded")
    return key


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE], sealed[NONCE:], aad)


def wrap(master: bytes, subject_id: uuid.UUID, data_key: bytes) -> bytes:
    return _seal(master, data_key, b"key:" + subject_id.bytes)


def unwrap(master: bytes, subject_id: uuid.UUID, wrapped: bytes | None) -> bytes:
    if wrapped is None:
        raise KeyErased(str(subject_id))
    return _open(master, wrapped, b"key:" + subject_id.bytes)


@overload
def seal(data_key: bytes, subject_id: uuid.UUID, field: str, value: str) -> bytes: ...
@overload
def seal(data_key: bytes, subject_id: uuid.UUID, field: str, value: None) -> None: ...
@overload
def seal(data_key: bytes, subject_id: uuid.UUID, field: str, value: str | None) -> bytes | None: ...
def seal(data_key: bytes, subject_id: uuid.UUID, field: str, value: str | None) -> bytes | None:
    """Encrypt one field; the subject and field name are bound in as associated data."""
    if value is None:
        return None
    return _seal(data_key, value.encode(), f"{field}:".encode() + subject_id.bytes)


@overload
def open_(data_key: bytes, subject_id: uuid.UUID, field: str, sealed: bytes) -> str: ...
@overload
def open_(data_key: bytes, subject_id: uuid.UUID, field: str, sealed: None) -> None: ...
@overload
def open_(data_key: bytes, subject_id: uuid.UUID, field: str, sealed: bytes | None) -> str | None: ...
def open_(data_key: bytes, subject_id: uuid.UUID, field: str, sealed: bytes | None) -> str | None:
    if sealed is None:
        return None
    return _open(data_key, sealed, f"{field}:".encode() + subject_id.bytes).decode()

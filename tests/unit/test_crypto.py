"""Personal data sealed per subject (issue 22.7): the master key rotates without losing what was
written, AES-256-GCM and SM4-GCM both seal and both read back, and what was written before
versions (the first format) still opens."""

import base64
import os
import uuid

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from liaison_shared import crypto
from liaison_shared.service import ServiceSpec, UnsafeSettings, check_start
from liaison_shared.settings import DEV_MASTER_KEY, Settings

pytestmark = pytest.mark.unit

SUITES = ["aes-gcm", "sm4-gcm"]
SUBJECT = uuid.UUID("64022110-0201-4000-8000-000000000001")  # a submitter at 东风村
NAME, PHONE = "马桂兰", "13909512345"


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


OLD, NEW = os.urandom(32), os.urandom(32)


def settings(current: str, previous: str = "", suite: str = "aes-gcm") -> Settings:
    return Settings(dev_mode=True, data_master_key=current, data_master_keys_previous=previous, crypto_suite=suite)


def first_format(master: bytes, subject: uuid.UUID, data_key: bytes) -> bytes:
    """How a wrapped key was written before versions: nonce + AES-GCM, under version 1."""
    nonce = os.urandom(12)
    return nonce + AESGCM(master).encrypt(nonce, data_key, b"key:" + subject.bytes)


@pytest.mark.parametrize("suite", SUITES)
def test_a_submitter_sealed_in_either_suite_reads_back(suite):
    ring = crypto.keyring(settings(f"v2:{b64(NEW)}", suite=suite))
    data_key = ring.new_data_key()
    wrapped = ring.wrap(SUBJECT, data_key)
    name = crypto.seal(data_key, SUBJECT, "name", NAME, suite=suite)
    assert crypto.header_of(wrapped) == crypto.Header(suite, 2)
    assert crypto.header_of(name) == crypto.Header(suite, 0)
    assert len(data_key) == crypto.DATA_KEY_BYTES[suite]
    assert crypto.open_(ring.unwrap(SUBJECT, wrapped), SUBJECT, "name", name) == NAME
    assert NAME.encode() not in name and data_key not in wrapped


@pytest.mark.parametrize("suite", SUITES)
def test_a_sealed_field_opens_only_for_its_subject_and_field(suite):
    data_key = crypto.new_data_key(suite)
    phone = crypto.seal(data_key, SUBJECT, "phone", PHONE, suite=suite)
    with pytest.raises(InvalidTag):
        crypto.open_(data_key, uuid.uuid4(), "phone", phone)
    with pytest.raises(InvalidTag):
        crypto.open_(data_key, SUBJECT, "name", phone)
    with pytest.raises(InvalidTag):  # the header is bound in: naming another suite or version fails
        crypto.open_(data_key, SUBJECT, "phone", phone[:4] + bytes([3 - phone[4]]) + phone[5:])


def test_sm4_gcm_is_what_the_sm4_suite_uses():
    """The SM4 suite's bytes open with SM4-GCM under a key derived by HKDF-SM3, not with AES."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    ring = crypto.keyring(settings(b64(NEW), suite="sm4-gcm"))
    sealed = ring.seal_secret(SUBJECT, "webhook_secret", "whsec-平罗县")
    head, nonce, body = sealed[:crypto.HEADER], sealed[crypto.HEADER:crypto.HEADER + 12], sealed[crypto.HEADER + 12:]
    sm4_key = HKDF(hashes.SM3(), 16, salt=None, info=crypto.SM4_KEY_INFO).derive(NEW)
    decryptor = Cipher(algorithms.SM4(sm4_key), modes.GCM(nonce, body[-16:])).decryptor()
    decryptor.authenticate_additional_data(head + b"webhook_secret:" + SUBJECT.bytes)
    assert decryptor.update(body[:-16]) + decryptor.finalize() == "whsec-平罗县".encode()


def test_what_the_first_format_wrapped_opens_as_version_one():
    data_key = crypto.new_data_key()
    legacy = first_format(OLD, SUBJECT, data_key)
    assert crypto.keyring(settings(b64(OLD))).unwrap(SUBJECT, legacy) == data_key  # bare key: version 1
    assert crypto.keyring(settings(f"v2:{b64(NEW)}", f"v1:{b64(OLD)}")).unwrap(SUBJECT, legacy) == data_key
    with pytest.raises(InvalidTag):
        crypto.keyring(settings(f"v2:{b64(NEW)}")).unwrap(SUBJECT, legacy)


def test_a_first_format_nonce_that_begins_like_a_header_still_opens():
    data_key = crypto.new_data_key()
    nonce = crypto.header("aes-gcm", 1) + os.urandom(12 - crypto.HEADER)
    legacy = nonce + AESGCM(OLD).encrypt(nonce, data_key, b"key:" + SUBJECT.bytes)
    assert crypto.keyring(settings(b64(OLD))).unwrap(SUBJECT, legacy) == data_key


@pytest.mark.parametrize("suite", SUITES)
def test_after_rotation_old_and_new_wraps_read_and_reseal_moves_to_the_current_key(suite):
    before = crypto.keyring(settings(f"v1:{b64(OLD)}", suite=suite))
    data_key = before.new_data_key()
    wrapped = before.wrap(SUBJECT, data_key)
    after = crypto.keyring(settings(f"v2:{b64(NEW)}", f"v1:{b64(OLD)}", suite=suite))
    assert after.unwrap(SUBJECT, wrapped) == data_key
    assert not wrapped.startswith(after.current_header)
    moved = after.reseal(SUBJECT, None, wrapped)
    assert moved.startswith(after.current_header)
    assert crypto.keyring(settings(f"v2:{b64(NEW)}", suite=suite)).unwrap(SUBJECT, moved) == data_key
    with pytest.raises(crypto.UnknownKeyVersion):
        crypto.keyring(settings(f"v1:{b64(OLD)}", suite=suite)).unwrap(SUBJECT, moved)


def test_switching_the_suite_keeps_reading_what_the_other_suite_sealed():
    aes = crypto.keyring(settings(b64(OLD)))
    data_key = aes.new_data_key()
    wrapped, name = aes.wrap(SUBJECT, data_key), crypto.seal(data_key, SUBJECT, "name", NAME)
    sm4 = crypto.keyring(settings(b64(OLD), suite="sm4-gcm"))
    assert crypto.open_(sm4.unwrap(SUBJECT, wrapped), SUBJECT, "name", name) == NAME
    moved = sm4.reseal(SUBJECT, None, wrapped)
    assert crypto.header_of(moved) == crypto.Header("sm4-gcm", 1)
    assert crypto.open_(aes.unwrap(SUBJECT, moved), SUBJECT, "name", name) == NAME


def test_an_erased_key_stays_erased():
    with pytest.raises(crypto.KeyErased):
        crypto.keyring(settings(b64(OLD))).unwrap(SUBJECT, None)


@pytest.mark.parametrize(("current", "previous", "named"), [
    ("v0:" + b64(NEW), "", "DATA_MASTER_KEY"),
    ("v2:" + b64(b"short"), "", "DATA_MASTER_KEY"),
    ("version2:" + b64(NEW), "", "DATA_MASTER_KEY"),
    ("v2:" + b64(NEW), "v1:not base64!", "DATA_MASTER_KEYS_PREVIOUS"),
    ("v2:" + b64(NEW), "v2:" + b64(OLD), "DATA_MASTER_KEYS_PREVIOUS"),  # two keys named version 2
    (b64(NEW), b64(OLD), "DATA_MASTER_KEYS_PREVIOUS"),  # two bare keys: both version 1
])
def test_keys_that_do_not_hold_together_stop_the_start_naming_the_setting_not_the_key(current, previous, named):
    with pytest.raises(UnsafeSettings) as refused:
        check_start(ServiceSpec(name="feedback", package="feedback", description=""), settings(current, previous))
    assert named in str(refused.value)
    assert b64(NEW) not in str(refused.value) and b64(OLD) not in str(refused.value)


def test_the_development_key_is_refused_with_a_version_too():
    from liaison_shared.service import refuse_development_secrets

    with pytest.raises(UnsafeSettings, match="DATA_MASTER_KEY"):
        refuse_development_secrets(Settings(dev_mode=False, data_master_key=f"v3:{DEV_MASTER_KEY}",
                                            auth_jwks_url="https://issuer.example/jwks.json",
                                            audit_hmac_key="an-operator-audit-key-of-at-least-32-characters"))


def test_previous_keys_are_a_comma_separated_list_of_versions():
    ring = crypto.keyring(settings(f"v3:{b64(NEW)}", f"v1:{b64(OLD)}, v2:{b64(b'2' * 32)}"))
    assert ring.current == 3 and sorted(ring.keys) == [1, 2, 3]

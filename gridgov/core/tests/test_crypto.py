"""Encryption of personal data at rest."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from gridgov.core import crypto


def test_a_value_round_trips_and_the_stored_form_hides_it():
    stored = crypto.encrypt("13812345678")
    assert stored.startswith(crypto.PREFIX)
    assert "13812345678" not in stored
    assert crypto.decrypt(stored) == "13812345678"


def test_the_same_value_encrypts_differently_each_time_but_digests_the_same():
    assert crypto.encrypt("张三") != crypto.encrypt("张三")
    assert crypto.digest("13812345678") == crypto.digest("13812345678")
    assert crypto.digest("13812345678") != crypto.digest("13812345679")
    assert crypto.digest("13812345678", "phone") != crypto.digest("13812345678", "name")


def test_empty_values_stay_empty_and_clear_legacy_values_pass_through():
    assert crypto.encrypt("") == ""
    assert crypto.decrypt("") == ""
    assert crypto.decrypt("written before encryption") == "written before encryption"


def test_a_rotated_key_still_reads_old_values_and_writes_with_the_new_one(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.GRIDGOV_FIELD_KEYS = [old]
    stored_old = crypto.encrypt("李四")
    settings.GRIDGOV_FIELD_KEYS = [new, old]
    assert crypto.decrypt(stored_old) == "李四"
    stored_new = crypto.encrypt("李四")
    settings.GRIDGOV_FIELD_KEYS = [new]
    assert crypto.decrypt(stored_new) == "李四"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored_old)


def test_without_configured_keys_a_development_key_is_used(settings):
    settings.GRIDGOV_FIELD_KEYS = []
    assert crypto.using_development_key()
    assert crypto.decrypt(crypto.encrypt("x")) == "x"
    settings.GRIDGOV_FIELD_KEYS = [Fernet.generate_key().decode()]
    assert not crypto.using_development_key()

"""The suite's configuration: unknown keys are errors that name the nearest known key; every scalar key can come
from FIDOCONF_* environment variables; values have the type their key needs."""

from __future__ import annotations

import json

import pytest
from fidoconf.conformance.config import ENV_KEYS, ConfigError, known_keys, load


def _file(tmp_path, values: dict) -> str:
    path = tmp_path / "target.json"
    path.write_text(json.dumps(values))
    return str(path)


def test_unknown_key_names_the_nearest_known_key(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown config key 'capabilites' \(did you mean 'capabilities'\?\)"):
        load(file=_file(tmp_path, {"capabilites": ["fmt:none"]}), environ={})


def test_unknown_key_far_from_any_lists_the_known_keys(tmp_path):
    with pytest.raises(ConfigError, match="known keys: access_key"):
        load(file=_file(tmp_path, {"zzz": 1}), environ={})


def test_documented_extra_keys_load(tmp_path):
    config = load(file=_file(tmp_path, {"pki_seed": "s", "skfs": {"did": 1}}), environ={})
    assert config.extra["pki_seed"] == "s"
    assert config.extra["skfs"] == {"did": 1}


def test_every_env_key_is_a_config_key():
    assert set(ENV_KEYS) <= set(known_keys())


def test_env_gives_every_scalar_key():
    environ = {
        "FIDOCONF_TARGET": "https://fido.example.com",
        "FIDOCONF_PROFILE": "fido-server",
        "FIDOCONF_RP_ID": "example.com",
        "FIDOCONF_ORIGIN": "https://www.example.com",
        "FIDOCONF_ACCESS_KEY": "-2tj",
        "FIDOCONF_PREFIX": "/nevisfido/fido2",
        "FIDOCONF_CAPABILITIES": "fmt:none, fmt:packed",
        "FIDOCONF_STRICT": "1",
        "FIDOCONF_TIMEOUT_S": "2.5",
        "FIDOCONF_PKI_SEED": "seed",
    }
    config = load(environ=environ)
    assert (config.target, config.profile, config.rp_id, config.origin) == (
        "https://fido.example.com",
        "fido-server",
        "example.com",
        "https://www.example.com",
    )
    assert (config.access_key, config.prefix, config.strict, config.timeout_s) == (
        "-2tj",
        "/nevisfido/fido2",
        True,
        2.5,
    )
    assert config.capabilities == frozenset({"fmt:none", "fmt:packed"})
    assert config.extra["pki_seed"] == "seed"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"capabilities": "fmt:none"}, "'capabilities' must be a list of strings"),
        ({"capabilities": [1]}, "'capabilities' must be a list of strings"),
        ({"timeout_s": True}, "'timeout_s' must be int or float, not bool"),
        ({"strict": 1}, "'strict' must be bool, not int"),
        ({"access_key": 5}, "'access_key' must be str, not int"),
    ],
)
def test_values_of_the_wrong_type_are_refused(tmp_path, values, message):
    with pytest.raises(ConfigError, match=message):
        load(file=_file(tmp_path, values), environ={})


def test_bad_timeout_in_env_is_a_config_error():
    with pytest.raises(ConfigError, match="FIDOCONF_TIMEOUT_S"):
        load(environ={"FIDOCONF_TIMEOUT_S": "soon"})

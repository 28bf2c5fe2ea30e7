"""The SKFS flavour's service authentication in-process: svcinfo validation, PASSWORD accounts and roles, HMAC-signed
requests (signed by tests/skfs_support.py independently of verifier.rp.skfs_auth), configuration checks, and the
`fidoconf serve --flavour skfs` settings.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
from contextlib import ExitStack

import pytest
from fidoconf.conformance import serve_skfs
from fidoconf.verifier.rp import RPConfig, create_app

from . import seeded
from .rp_support import ManualClock
from .skfs_support import MONITOR, SVC, Skfs, compact, open_skfs, user


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_skfs(clock):
    with ExitStack() as stack:
        yield lambda envelope="4.17", **overrides: open_skfs(stack, clock, envelope, **overrides)


@pytest.fixture(params=["4.16", "4.17"])
def skfs(request, make_skfs) -> Skfs:
    return make_skfs(request.param)


# --- svcinfo and service credentials --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("svcinfo", "vendor"),
    [
        (None, "FIDO-ERR-0041"),
        ({"did": 0, "protocol": "FIDO2_0", "authtype": "HMAC"}, "FIDO-ERR-0042"),
        ({"did": "one", "protocol": "FIDO2_0", "authtype": "HMAC"}, "FIDO-ERR-0042"),
        ({"did": True, "protocol": "FIDO2_0", "authtype": "HMAC"}, "FIDO-ERR-0042"),
        ({"did": 3, "protocol": "FIDO2_0", "authtype": "HMAC"}, "FIDO-ERR-1501"),
        ({"did": 1, "protocol": "U2F_V2", "authtype": "HMAC"}, "FIDO-ERR-0043"),
        ({"did": 1, "protocol": "FIDO2_0", "authtype": "BASIC"}, "FIDO-ERR-0044"),
        ({"did": 1, "protocol": "FIDO2_0", "authtype": "PASSWORD", "svcpassword": "x"}, "FIDO-ERR-0045"),
        ({"did": 1, "protocol": "FIDO2_0", "authtype": "PASSWORD", "svcusername": "x"}, "FIDO-ERR-0046"),
    ],
)
def test_svcinfo_errors(skfs, svcinfo, vendor):
    body = compact({"payload": {"username": "u"}} | ({"svcinfo": svcinfo} if svcinfo is not None else {}))
    response = skfs.call("getkeysinfo", body=body)
    assert response.status_code == 400
    assert skfs.error(response)[0] == vendor


def test_missing_payload_is_0047_and_case_insensitive_svcinfo_is_accepted(skfs):
    response = skfs.call("getkeysinfo", body=compact({"svcinfo": skfs.svcinfo()}))
    assert response.status_code == 400 and skfs.error(response)[0] == "FIDO-ERR-0047"
    lower = {**skfs.svcinfo(), "did": "1", "protocol": "fido2_0", "authtype": "password"}
    assert skfs.call("getkeysinfo", {"username": "u"}, svcinfo=lower).status_code == 200


@pytest.mark.parametrize(
    ("operation", "account", "status"),
    [
        ("preregister", (SVC[0], "wrong"), 401),
        ("preregister", ("nobody", SVC[1]), 401),
        ("preregister", MONITOR, 401),  # holds FIDO_MONITOR, not FIDO_REG
        ("getkeysinfo", MONITOR, 401),
        ("ping", MONITOR, 200),
        ("ping", SVC, 200),
        ("getkeysinfo", SVC, 200),
    ],
)
def test_password_accounts_and_roles(skfs, operation, account, status):
    payload = {"username": "u", "displayname": "k", "options": {}} if operation != "ping" else None
    response = skfs.call(operation, payload, svcinfo=skfs.svcinfo(account=account))
    assert response.status_code == status, response.text


def test_hmac_signed_requests_are_accepted(skfs):
    name = user()
    assert (
        skfs.call("preregister", {"username": name, "displayname": "k", "options": {}}, authtype="HMAC").status_code
        == 200
    )
    ping = skfs.call("ping", authtype="HMAC")
    assert ping.status_code == 200 and "FIDO Server Domain 1 is alive!" in ping.text


def _reordered(payload: dict) -> str:
    return compact(dict(reversed(list(payload.items()))))


@pytest.mark.parametrize(
    "defect",
    ["wrong-secret", "unknown-key", "hash-mismatch", "no-authorization", "no-hash", "no-date", "no-api-version",
     "other-path", "stale-date", "future-date", "malformed-authorization", "date-garbage"],
)  # fmt: skip
def test_hmac_defects_are_401_with_an_empty_body(skfs, clock, defect):
    payload = {"username": user(), "displayname": "k", "options": {}}
    text = skfs.body_text(skfs.svcinfo("HMAC"), payload)
    headers = skfs.hmac_headers("/skfs/rest/preregister", text)
    if defect == "wrong-secret":
        headers = skfs.hmac_headers("/skfs/rest/preregister", text, secret=seeded.token_hex(32))
    elif defect == "unknown-key":
        headers = skfs.hmac_headers("/skfs/rest/preregister", text, key="ak-unknown")
    elif defect == "hash-mismatch":
        headers["strongkey-content-sha256"] = base64.b64encode(hashlib.sha256(b"{}").digest()).decode()
    elif defect == "other-path":
        headers = skfs.hmac_headers("/skfs/rest/getkeysinfo", text)
    elif defect in ("stale-date", "future-date"):
        clock.advance(seconds=-301 if defect == "stale-date" else 301)
        headers = skfs.hmac_headers("/skfs/rest/preregister", text)
        clock.advance(seconds=301 if defect == "stale-date" else -301)
    elif defect == "malformed-authorization":
        headers["Authorization"] = headers["Authorization"].replace(":", " ")
    elif defect == "date-garbage":
        headers["Date"] = "yesterday"
    else:
        header = {"no-authorization": "Authorization", "no-hash": "strongkey-content-sha256", "no-date": "Date",
                  "no-api-version": "strongkey-api-version"}[defect]  # fmt: skip
        headers[header] = None
    response = skfs.call("preregister", payload, authtype="PASSWORD", svcinfo=skfs.svcinfo("HMAC"), headers=headers)
    assert response.status_code == 401 and response.content == b""


def test_hmac_hash_over_skfs_key_order_or_the_received_order(make_skfs):
    skfs = make_skfs(skfs_hmac_payload_hash=True)
    payload = {"options": {}, "displayname": "k", "username": user()}  # not SKFS's order
    for hashed in (compact({k: payload[k] for k in ("username", "displayname", "options")}), compact(payload)):
        headers = skfs.hmac_headers("/skfs/rest/preregister", hashed)
        response = skfs.call("preregister", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers)
        assert response.status_code == 200, hashed
    headers = skfs.hmac_headers("/skfs/rest/preregister", _reordered({"a": 1, **payload}))
    assert skfs.call("preregister", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers).status_code == 401


def test_signature_control_accepts_any_signature_of_a_known_key(make_skfs):
    skfs = make_skfs(skfs_hmac_signature_check=False)
    payload = {"username": user(), "displayname": "k", "options": {}}
    text = skfs.body_text(skfs.svcinfo("HMAC"), payload)
    headers = skfs.hmac_headers("/skfs/rest/preregister", text, secret=seeded.token_hex(32))
    assert skfs.call("preregister", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers).status_code == 200
    headers = skfs.hmac_headers("/skfs/rest/preregister", text, key="ak-unknown")
    assert skfs.call("preregister", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers).status_code == 401


@pytest.mark.parametrize(
    "settings",
    [
        {"skfs_envelope": "4.18"},
        {"skfs_domains": ()},
        {"skfs_domains": ((1, 30), (1, 5))},
        {"skfs_domains": ((1, 0),)},
        {"skfs_service_accounts": (("svc", "pw", ("ROOT",)),)},
        {"skfs_hmac_keys": (("ak", "not-hex"),)},
        {"skfs_hmac_keys": (("a:k", "00" * 32),)},
    ],
)
def test_bad_configuration_is_refused_when_the_app_is_built(settings):
    with pytest.raises(ValueError):
        create_app(RPConfig(flavours=("skfs",), **settings))


# --- fidoconf serve --flavour skfs -------------------------------------------------------------------------------


def _serve_args(**given) -> argparse.Namespace:
    return argparse.Namespace(**{"skfs_config": None, "skfs_envelope": None, "skfs_window": None, **given})


def test_serve_generates_the_secrets_once_and_prints_only_where_they_are(tmp_path):
    args = _serve_args(skfs_envelope="4.16", skfs_window=10)
    settings = serve_skfs.rp_settings(args, tmp_path)
    assert serve_skfs.rp_settings(args, tmp_path) == settings
    for name in (serve_skfs.PASSWORD_FILE, serve_skfs.HMAC_SECRET_FILE):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
    config = RPConfig(flavours=("skfs",), data_dir=tmp_path, **settings)
    assert (config.skfs_domains, config.skfs_envelope) == (((1, 10),), "4.16")
    [(account, password, roles)] = config.skfs_service_accounts
    [(key, secret)] = config.skfs_hmac_keys
    assert (account, key, roles) == ("svcfidouser", "fidoconf-hmac", ("FIDO_REG", "FIDO", "FIDO_MONITOR"))
    printed = "\n".join(serve_skfs.describe(args, config))
    assert str(tmp_path / serve_skfs.PASSWORD_FILE) in printed and password not in printed and secret not in printed
    create_app(config)


def test_serve_reads_the_skfs_config_file(tmp_path):
    path = tmp_path / "skfs.toml"
    path.write_text(
        'envelope = "4.16"\nserver_id = 7\n[[domains]]\ndid = 3\nchallenge_window_s = 12\n'
        '[[service_accounts]]\nusername = "svc"\npassword = "pw"\nroles = ["FIDO_REG"]\n'
        f'[[hmac_keys]]\naccess_key = "ak"\nsecret_key = "{"ab" * 32}"\n'
    )
    args = _serve_args(skfs_config=path)
    config = RPConfig(flavours=("skfs",), **serve_skfs.rp_settings(args, tmp_path))
    assert (config.skfs_server_id, config.skfs_domains, config.skfs_envelope) == (7, ((3, 12),), "4.16")
    assert config.skfs_service_accounts == (("svc", "pw", ("FIDO_REG",)),)
    assert config.skfs_hmac_keys == (("ak", "ab" * 32),)
    assert f"from {path}" in serve_skfs.describe(args, config)[-1]
    assert not (tmp_path / serve_skfs.PASSWORD_FILE).exists()


@pytest.mark.parametrize("text", ['{"domains": [{"window": 3}]}', '{"service_accounts": [{"username": "x"}]}', "[1]"])
def test_serve_refuses_a_malformed_skfs_config(tmp_path, text):
    path = tmp_path / "skfs.json"
    path.write_text(text)
    with pytest.raises(ValueError):
        serve_skfs.rp_settings(_serve_args(skfs_config=path), tmp_path)


# --- replay and what the signature covers (issue 15) ------------------------------------------------------------


def test_a_replayed_hmac_request_is_refused(skfs, clock, caplog):
    payload = {"username": user()}
    text = skfs.body_text(skfs.svcinfo("HMAC"), payload)
    headers = skfs.hmac_headers("/skfs/rest/getkeysinfo", text)
    first = skfs.call("getkeysinfo", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers)
    assert first.status_code == 200
    clock.advance(seconds=5)  # well inside the Date window
    with caplog.at_level("INFO", logger="fidoconf.rp"):
        again = skfs.call("getkeysinfo", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers)
    assert (again.status_code, again.content) == (401, b"")
    assert "replayed" in caplog.text
    # The same request signed afresh (a new Date) is served.
    assert skfs.call("getkeysinfo", payload, authtype="HMAC").status_code == 200


def test_the_replay_cache_forgets_signatures_whose_date_left_the_window(skfs, clock):
    from fidoconf.verifier.rp.skfs_auth import MAX_DATE_SKEW_S

    replays = skfs.client.app.state.skfs_replays
    for _ in range(3):
        assert skfs.call("getkeysinfo", {"username": user()}, authtype="HMAC").status_code == 200
        clock.advance(seconds=1)
    assert len(replays) == 3
    clock.advance(seconds=MAX_DATE_SKEW_S + 1)
    assert skfs.call("getkeysinfo", {"username": user()}, authtype="HMAC").status_code == 200
    assert len(replays) == 1


def test_the_replay_cache_is_bounded_and_refuses_rather_than_forgets():
    from datetime import UTC, datetime

    from fidoconf.verifier.rp.skfs_auth import ReplayCache, Unauthorized

    cache, now = ReplayCache(max_entries=2), datetime(2026, 1, 1, tzinfo=UTC)
    cache.remember("a", sent=now, now=now)
    cache.remember("b", sent=now, now=now)
    with pytest.raises(Unauthorized, match="full"):
        cache.remember("c", sent=now, now=now)
    with pytest.raises(Unauthorized, match="replayed"):
        cache.remember("a", sent=now, now=now)


def test_the_signature_covers_svcinfo_so_the_did_cannot_be_swapped(skfs):
    payload = {"username": user()}
    signed = skfs.body_text(skfs.svcinfo("HMAC", did=1), payload)
    headers = skfs.hmac_headers("/skfs/rest/getkeysinfo", signed)
    swapped = skfs.body_text(skfs.svcinfo("HMAC", did=2), payload)
    response = skfs.call("getkeysinfo", payload, svcinfo=skfs.svcinfo("HMAC", did=2), headers=headers, body=swapped)
    assert (response.status_code, response.content) == (401, b"")


def test_a_payload_only_hash_is_refused_unless_configured(make_skfs):
    payload = {"username": user(), "displayname": "k", "options": {}}
    for accept, status in ((False, 401), (True, 200)):
        skfs = make_skfs(skfs_hmac_payload_hash=accept)
        headers = skfs.hmac_headers("/skfs/rest/preregister", compact(payload))
        assert skfs.call("preregister", payload, svcinfo=skfs.svcinfo("HMAC"), headers=headers).status_code == status

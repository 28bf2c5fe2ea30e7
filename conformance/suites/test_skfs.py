"""SKFS: what the StrongKey FIDO Server REST API adds around a registration (seed 001, docs/server_apis.md §3).

svcinfo validation, PASSWORD and HMAC service authentication, the response envelope of the configured SKFS
version, preregister/register payload rules, key management and the challenge window. Every answer is checked
against schemas/api/skfs by the profile.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fidoconf.conformance.cases import Case, case
from fidoconf.conformance.profiles import Ceremony
from fidoconf.conformance.profiles.skfs import SkfsProfile, body_text, compact, ordered_payload

REST = "https://docs.strongkey.com/index.php/skfs-v3/skfs-developer/skfs-api/skfs-rest"
PREREGISTER = REST + "/skfs-rest-preregister/skfs-rest-preregister-request"
REGISTER = REST + "/skfs-rest-register/skfs-rest-register-request"
GETKEYSINFO = REST + "/skfs-rest-getkeysinfo/skfs-rest-getkeysinfo-request"
UPDATEKEYINFO = REST + "/skfs-rest-updatekeyinfo/skfs-rest-updatekeyinfo-request"
DEREGISTER = REST + "/skfs-rest-deregister"
RELEASE_4_17 = "https://docs.strongkey.com/index.php/skfs-v3/skfs-release-notes/skfs-4-17-0"


def param(*values, marks):
    """A parametrized case whose pytest id is its stable case ID."""
    return pytest.param(*values, id=marks.args[0].id, marks=marks)



@pytest.fixture
def skfs(fidoconf) -> SkfsProfile:
    return fidoconf.profile


@pytest.fixture
def hmac_configured(skfs):
    if not skfs.settings.has_hmac:
        pytest.skip("no HMAC access key configured ([skfs] hmac_access_key, hmac_secret)")


@pytest.fixture
def password_configured(skfs):
    if not (skfs.settings.svcusername and skfs.settings.svcpassword):
        pytest.skip("no PASSWORD service account configured ([skfs] svcusername, svcpassword)")


def prereg(skfs: SkfsProfile, **fields) -> dict:
    payload = skfs.preregister_payload(skfs.username("skfs"), attestation="none")
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


def refused(skfs: SkfsProfile, response, status: int, *vendor_codes: str) -> None:
    assert response.status_code == status, f"expected HTTP {status}, got {response.status_code}: {response.text[:300]}"
    if vendor_codes:
        found = skfs.refusal(response).vendor_code
        assert found in vendor_codes, f"expected {' or '.join(vendor_codes)}, got {found!r}: {response.text[:300]}"


def unauthorized(response) -> None:
    assert response.status_code == 401, f"expected 401, got HTTP {response.status_code}: {response.text[:300]}"
    assert response.content == b"", f"a 401 carries an empty body, got {response.text[:200]!r}"


# --- preregister ------------------------------------------------------------------------------------------------


@case(Case(
    id="SKFS-PRE-P01",
    title="preregister answers FIDO-MSG-0002 with creation options for the user",
    requirement="preregister {username, displayname, options, extensions} answers 200, responseCode FIDO-MSG-0002 and "
    "the PublicKeyCredentialCreationOptions: user.name is the username, user.displayName the displayname.",
    anchor=PREREGISTER,
    profile="skfs",
))
def test_preregister(skfs):
    payload = prereg(skfs, displayname="Initial Registration")
    options, body = skfs.ok("preregister", payload)
    assert body["responseCode"] == "FIDO-MSG-0002", body.get("responseCode")
    user = options.get("user") or {}
    assert user.get("name") == payload["username"], f"user.name {user.get('name')!r}"
    assert user.get("displayName") == "Initial Registration", f"user.displayName {user.get('displayName')!r}"


@pytest.mark.parametrize(
    ("fields", "codes"),
    [
        param({"username": None}, ("FIDO-ERR-0048",), marks=case(Case(
            id="SKFS-PRE-F01", title="preregister without username is 400 FIDO-ERR-0048",
            requirement="username is required: missing → 400 FIDO-ERR-0048.", anchor=PREREGISTER,
            profile="skfs"))),
        param({"username": "u" * 257}, ("FIDOJPA-ERR-1002", "FIDO-ERR-0048"), marks=case(Case(
            id="SKFS-PRE-F02", title="a username over 256 characters is 400",
            requirement="username is at most 256 characters: longer → 400 FIDOJPA-ERR-1002.",
            anchor=PREREGISTER,
            profile="skfs"))),
        param({"displayname": None}, ("FIDO-ERR-0049",), marks=case(Case(
            id="SKFS-PRE-F03", title="preregister without displayname is 400 FIDO-ERR-0049",
            requirement="displayname is required: missing → 400 FIDO-ERR-0049.", anchor=PREREGISTER,
            profile="skfs"))),
        param({"options": None}, ("FIDO-ERR-0050",), marks=case(Case(
            id="SKFS-PRE-F04", title="preregister without options is 400 FIDO-ERR-0050",
            requirement="options is a required JSON object (it may be {}): missing → 400 FIDO-ERR-0050.",
            anchor=PREREGISTER,
            profile="skfs"))),
    ],
)  # fmt: skip
def test_preregister_payload_errors(skfs, fields, codes):
    refused(skfs, skfs.call("preregister", prereg(skfs, **fields)), 400, *codes)


# --- svcinfo ---------------------------------------------------------------------------------------------------


def _svcinfo_case(id_: str, title: str, code: str):
    return case(Case(id=id_, title=f"{title} → 400 {code}", requirement=f"svcinfo is validated before anything else: "
                f"{title} → HTTP 400 {code}.", anchor=PREREGISTER,
                profile="skfs"))  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "codes"),
    [
        param("no-svcinfo", ("FIDO-ERR-0041",),
                     marks=_svcinfo_case("SKFS-SVC-F01", "no svcinfo", "FIDO-ERR-0041")),
        param("no-payload", ("FIDO-ERR-0047",),
                     marks=_svcinfo_case("SKFS-SVC-F02", "no payload", "FIDO-ERR-0047")),
        param({"did": 987654}, ("FIDO-ERR-0042", "FIDO-ERR-1501"),
                     marks=_svcinfo_case("SKFS-SVC-F03", "a did that names no domain", "FIDO-ERR-0042/1501")),
        param({"protocol": "FIDO3_0"}, ("FIDO-ERR-0043",),
                     marks=_svcinfo_case("SKFS-SVC-F04", "a protocol other than FIDO2_0", "FIDO-ERR-0043")),
        param({"authtype": "BASIC"}, ("FIDO-ERR-0044",),
                     marks=_svcinfo_case("SKFS-SVC-F05", "an authtype other than PASSWORD or HMAC", "FIDO-ERR-0044")),
        param({"authtype": "PASSWORD", "svcusername": None}, ("FIDO-ERR-0045",),
                     marks=_svcinfo_case("SKFS-SVC-F06", "PASSWORD without svcusername", "FIDO-ERR-0045")),
        param({"authtype": "PASSWORD", "svcpassword": None}, ("FIDO-ERR-0046",),
                     marks=_svcinfo_case("SKFS-SVC-F07", "PASSWORD without svcpassword", "FIDO-ERR-0046")),
    ],
)  # fmt: skip
def test_svcinfo_errors(skfs, edit, codes):
    payload = prereg(skfs)
    if edit == "no-svcinfo":
        response = skfs.call("preregister", body='{"payload":' + ordered_payload(payload) + "}")
    elif edit == "no-payload":
        response = skfs.call("preregister", svcinfo=skfs.svcinfo(authtype="PASSWORD", account=("svc", "pw")))
    else:
        info = {**skfs.svcinfo(authtype="PASSWORD", account=("svc", "pw")), **edit}
        response = skfs.call("preregister", payload, svcinfo={k: v for k, v in info.items() if v is not None})
    refused(skfs, response, 400, *codes)


# --- PASSWORD ---------------------------------------------------------------------------------------------------


@case(Case(
    id="SKFS-PWD-P01",
    title="the configured PASSWORD service account may preregister",
    requirement="authtype PASSWORD: svcusername/svcpassword of a service account in the FIDO_REG role are accepted.",
    anchor=PREREGISTER,
    profile="skfs",
))
def test_password_accepted(skfs, password_configured):
    response = skfs.call("preregister", prereg(skfs), svcinfo=skfs.svcinfo(authtype="PASSWORD"))
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text[:300]}"


@pytest.mark.parametrize(
    "who",
    [
        param("wrong-password", marks=case(Case(
            id="SKFS-PWD-F01", title="a wrong svcpassword is 401 with an empty body",
            requirement="Service credential failures answer HTTP 401 with an empty body.", anchor=REST,
            profile="skfs"))),
        param("unknown-account", marks=case(Case(
            id="SKFS-PWD-F02", title="an unknown svcusername is 401 with an empty body",
            requirement="Service credential failures answer HTTP 401 with an empty body.", anchor=REST,
            profile="skfs"))),
        param("no-role", marks=case(Case(
            id="SKFS-PWD-F03", title="a service account without the FIDO_REG role cannot preregister",
            requirement="preregister and register need the FIDO_REG role; another account is 401.",
            anchor=REST,
            profile="skfs"))),
    ],
)  # fmt: skip
def test_password_refused(skfs, password_configured, who):
    s = skfs.settings
    if who == "no-role" and not (s.limited_svcusername and s.limited_svcpassword):
        pytest.skip("no account without FIDO_REG configured ([skfs] limited_svcusername, limited_svcpassword)")
    account = {
        "wrong-password": (s.svcusername, f"{s.svcpassword}-wrong"),
        "unknown-account": (f"{skfs.username('nobody')}", s.svcpassword),
        "no-role": (s.limited_svcusername, s.limited_svcpassword),
    }[who]
    unauthorized(skfs.call("preregister", prereg(skfs), svcinfo=skfs.svcinfo(authtype="PASSWORD", account=account)))


# --- HMAC -------------------------------------------------------------------------------------------------------

PATH = "/skfs/rest/preregister"


@case(Case(
    id="SKFS-HMAC-P01",
    title="a correctly HMAC-signed preregister is accepted",
    requirement="authtype HMAC: Authorization 'HMAC <access key>:<base64 HMAC-SHA256>' over METHOD, "
    "strongkey-content-sha256, Content-Type, Date, strongkey-api-version and the request URI, one per line.",
    anchor=REST,
    profile="skfs",
))
def test_hmac_accepted(skfs, hmac_configured):
    response = skfs.call("preregister", prereg(skfs), svcinfo=skfs.svcinfo(authtype="HMAC"))
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text[:300]}"


@case(Case(
    id="SKFS-HMAC-P02",
    title="a signed ping (no payload) is accepted",
    requirement="Without a payload the content hash and Content-Type lines of the string to sign are empty.",
    anchor=REST,
    profile="skfs",
))
def test_hmac_ping(skfs, hmac_configured):
    response = skfs.call("ping", svcinfo=skfs.svcinfo(authtype="HMAC"))
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text[:300]}"


def _hmac_case(id_: str, title: str, severity: str = "MUST"):
    return case(Case(id=id_, title=f"{title} → 401", requirement=f"HMAC request authentication: {title} is refused "
                "with HTTP 401 and an empty body.", anchor=REST, severity=severity,
                profile="skfs"))  # fmt: skip


def _defective_headers(skfs: SkfsProfile, defect: str, payload_text: str) -> tuple[dict, str]:
    """The headers (and the payload actually sent) for one HMAC defect; everything else is signed correctly."""
    hashed = skfs.hashed_text(body_text(skfs.svcinfo(authtype="HMAC"), payload_text), payload_text)
    good = skfs.hmac_headers(PATH, hashed)
    if defect == "other-secret":
        return skfs.hmac_headers(PATH, hashed, secret=hashlib.sha256(b"not the secret").hexdigest()), payload_text
    if defect == "unknown-key":
        return skfs.hmac_headers(PATH, hashed, key=skfs.username("ak")), payload_text
    if defect == "hash-of-other-payload":
        other_text = '{"username":"someone-else"}'
        other = skfs.hmac_headers(
            PATH, skfs.hashed_text(body_text(skfs.svcinfo(authtype="HMAC"), other_text), other_text)
        )
        return other, payload_text
    if defect == "payload-changed":
        return good, payload_text.replace('"displayname":"', '"displayname":"changed ')
    if defect == "other-path":
        return skfs.hmac_headers("/skfs/rest/getkeysinfo", hashed), payload_text
    if defect == "stale-date":
        old = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
        return skfs.hmac_headers(PATH, hashed, date=old), payload_text
    if defect == "date-not-signed":
        return {**good, "Date": format_datetime(datetime.now(UTC) + timedelta(seconds=7), usegmt=True)}, payload_text
    drop = {"no-authorization": "Authorization", "no-content-hash": "strongkey-content-sha256", "no-date": "Date",
            "no-api-version": "strongkey-api-version"}[defect]  # fmt: skip
    return {**good, drop: None}, payload_text


@pytest.mark.parametrize(
    "defect",
    [
        param("other-secret", marks=_hmac_case("SKFS-HMAC-F01", "a signature made with another secret")),
        param("unknown-key", marks=_hmac_case("SKFS-HMAC-F02", "an access key the server does not know")),
        param("hash-of-other-payload",
                     marks=_hmac_case("SKFS-HMAC-F03", "a strongkey-content-sha256 of another payload")),
        param("payload-changed", marks=_hmac_case("SKFS-HMAC-F04", "a payload changed after signing")),
        param("no-authorization", marks=_hmac_case("SKFS-HMAC-F05", "no Authorization header")),
        param("no-content-hash", marks=_hmac_case("SKFS-HMAC-F06", "no strongkey-content-sha256 header")),
        param("no-date", marks=_hmac_case("SKFS-HMAC-F07", "no Date header")),
        param("no-api-version", marks=_hmac_case("SKFS-HMAC-F08", "no strongkey-api-version header")),
        param("other-path", marks=_hmac_case("SKFS-HMAC-F09", "a signature over another request URI")),
        param("stale-date", marks=_hmac_case(
            "SKFS-HMAC-F10", "a correct signature with a Date an hour old (replay)", severity="SHOULD")),
        param("date-not-signed", marks=_hmac_case("SKFS-HMAC-F11", "a Date header other than the one signed")),
    ],
)  # fmt: skip
def test_hmac_refused(skfs, hmac_configured, defect):
    payload = prereg(skfs)
    headers, sent = _defective_headers(skfs, defect, ordered_payload(payload))
    body = '{"svcinfo":' + compact(skfs.svcinfo(authtype="HMAC")) + ',"payload":' + sent + "}"
    unauthorized(skfs.call("preregister", svcinfo=skfs.svcinfo(authtype="HMAC"), headers=headers, sign=False,
                           body=body))  # fmt: skip


# --- envelopes --------------------------------------------------------------------------------------------------


@case(Case(
    id="SKFS-ENV-P01",
    title="success bodies use the configured SKFS version's envelope",
    requirement="SKFS ≤ 4.16 answers Response/responseCode/TXID; 4.17 renamed them response/txid (RFE-296). A body "
    "carries one spelling, the configured one ([skfs] envelope).",
    anchor=RELEASE_4_17,
    profile="skfs",
))
def test_success_envelope(skfs, record_property):
    _, body = skfs.ok("preregister", prereg(skfs))
    wanted, other = (("Response", "TXID"), ("response", "txid")) if skfs.legacy else (("response", "txid"),
                                                                                        ("Response", "TXID"))  # fmt: skip
    assert wanted[0] in body, f"envelope {skfs.settings.envelope}: no {wanted[0]} in {sorted(body)}"
    assert not set(other) & set(body), f"envelope {skfs.settings.envelope}: {sorted(set(other) & set(body))} present"
    record_property("skfsVersion", body.get("skfsVersion"))


@case(Case(
    id="SKFS-ENV-P02",
    title="errors use the configured SKFS version's envelope",
    requirement="SKFS ≤ 4.16 reports an error as the message 'FIDO-ERR-xxxx: …' (plain text or {Response}); 4.17 "
    "as JSON {response, responseCode: FIDO-ERR-xxxx, txid}.",
    anchor=RELEASE_4_17,
    profile="skfs",
))
def test_error_envelope(skfs):
    response = skfs.call("preregister", prereg(skfs, username=None))
    assert response.status_code == 400, f"HTTP {response.status_code}"
    refusal = skfs.refusal(response)
    if skfs.legacy:
        assert refusal.message.startswith("FIDO-ERR-0048"), f"message {refusal.message[:200]!r}"
    else:
        body = response.json()
        assert body.get("responseCode") == "FIDO-ERR-0048" and "txid" in body, f"body {body}"


# --- register ---------------------------------------------------------------------------------------------------


@case(Case(
    id="SKFS-REG-P01",
    title="register answers FIDO-MSG-0004",
    requirement="register {publicKeyCredential, strongkeyMetadata{version, create_location, username, origin}} "
    "answers 200 with responseCode FIDO-MSG-0004.",
    anchor=REGISTER,
    profile="skfs",
))
def test_register(fidoconf, skfs):
    _, _, submission = fidoconf.register(variant="none", attestation="none")
    assert submission.accepted, f"{submission.code}: {submission.message}"
    assert submission.body["responseCode"] == "FIDO-MSG-0004"


def _register_case(id_: str, title: str, requirement: str):
    return case(Case(id=id_, title=title, requirement=requirement, anchor=REGISTER, profile="skfs"))


@pytest.mark.parametrize(
    "defect",
    [
        param("metadata-username", marks=_register_case(
            "SKFS-REG-F01", "strongkeyMetadata.username of another user is refused",
            "strongkeyMetadata.username must be the user the challenge was issued to (FIDO-ERR-0037).")),
        param("metadata-origin", marks=_register_case(
            "SKFS-REG-F02", "a strongkeyMetadata.origin other than the RP's is refused",
            "strongkeyMetadata.origin must equal the domain's configured origin ('Invalid Origin').")),
        param("no-metadata", marks=_register_case(
            "SKFS-REG-F03", "register without strongkeyMetadata is 400 FIDO-ERR-0052",
            "strongkeyMetadata is required: missing → 400 FIDO-ERR-0052.")),
        param("no-credential", marks=_register_case(
            "SKFS-REG-F04", "register without publicKeyCredential is 400 FIDO-ERR-0053",
            "publicKeyCredential is required: missing → 400 FIDO-ERR-0053.")),
        param("replay", marks=_register_case(
            "SKFS-REG-F05", "the same registration posted twice is refused the second time",
            "The session of a challenge ends with its registration: a replay must not register again.")),
    ],
)  # fmt: skip
def test_register_refused(fidoconf, skfs, defect):
    ceremony = skfs.start_registration(attestation="none")
    other = skfs.start_registration(attestation="none")
    credential = fidoconf.credential(ceremony, variant="none").credential
    payload = skfs.register_payload(ceremony, credential)
    codes: tuple[str, ...] = ()
    if defect == "metadata-username":
        payload["strongkeyMetadata"]["username"] = other.username
    elif defect == "metadata-origin":
        payload["strongkeyMetadata"]["origin"] = "https://attacker.example"
    elif defect == "no-metadata":
        payload.pop("strongkeyMetadata")
        codes = ("FIDO-ERR-0052",)
    elif defect == "no-credential":
        payload.pop("publicKeyCredential")
        codes = ("FIDO-ERR-0053",)
    else:
        first = skfs.submission(skfs.call("register", payload))
        assert first.accepted, f"the first registration was refused: {first.message}"
    refused(skfs, skfs.call("register", payload), 400, *codes)


# --- key management ---------------------------------------------------------------------------------------------


def _registered_key(fidoconf, skfs) -> tuple[str, str, dict]:
    ceremony, bundle, submission = fidoconf.register(variant="none", attestation="none")
    assert submission.accepted, f"registration refused: {submission.message}"
    keys = skfs.keys(ceremony.username)
    assert len(keys) == 1, f"getkeysinfo lists {len(keys)} keys after one registration"
    return ceremony.username, bundle.credential["id"], keys[0]


@case(Case(
    id="SKFS-KEYS-P01",
    title="getkeysinfo lists the registered key, Active, with a <server>-<domain>-<counter> keyid",
    requirement="getkeysinfo {username} answers FIDO-MSG-0012 with keys[]: keyid '<serverId>-<domainId>-<counter>', "
    "status Active, the credential id.",
    anchor=GETKEYSINFO,
    profile="skfs",
))
def test_keys_listed(fidoconf, skfs):
    _, credential_id, key = _registered_key(fidoconf, skfs)
    parts = key["keyid"].split("-")
    assert len(parts) == 3 and all(p.isdigit() for p in parts), f"keyid {key['keyid']!r}"
    assert int(parts[1]) == skfs.settings.did, f"keyid {key['keyid']!r} names another domain"
    assert key["status"] == "Active", key
    if key.get("credentialId") is not None:
        assert key["credentialId"] == credential_id, key


@case(Case(
    id="SKFS-KEYS-P02",
    title="updatekeyinfo renames and deactivates a key",
    requirement="updatekeyinfo {keyid, displayname, status, modify_location} answers FIDO-MSG-0020; getkeysinfo then "
    "shows the new displayName and status Inactive.",
    anchor=UPDATEKEYINFO,
    profile="skfs",
))
def test_key_updated(fidoconf, skfs):
    username, _, key = _registered_key(fidoconf, skfs)
    update = {"keyid": key["keyid"], "displayname": "Blue Security Key", "status": "Inactive",
              "modify_location": "fidoconf"}  # fmt: skip
    _, body = skfs.ok("updatekeyinfo", update)
    assert body["responseCode"] == "FIDO-MSG-0020", body
    [key] = skfs.keys(username)
    assert (key.get("displayName"), key["status"]) == ("Blue Security Key", "Inactive"), key


@case(Case(
    id="SKFS-KEYS-P03",
    title="deregister deletes a key; deleting it again is refused",
    requirement="deregister {keyid} answers FIDO-MSG-0010 and the key is gone from getkeysinfo; an unknown keyid is "
    "an error (400).",
    anchor=DEREGISTER,
    profile="skfs",
))
def test_key_deleted(fidoconf, skfs):
    username, _, key = _registered_key(fidoconf, skfs)
    _, body = skfs.ok("deregister", {"keyid": key["keyid"]})
    assert body["responseCode"] == "FIDO-MSG-0010", body
    assert skfs.keys(username) == []
    refused(skfs, skfs.call("deregister", {"keyid": key["keyid"]}), 400)


@case(Case(
    id="SKFS-KEYS-F01",
    title="updatekeyinfo with a status other than Active/Inactive is 400",
    requirement="status is Active or Inactive (FIDO-ERR-0069 otherwise).",
    anchor=UPDATEKEYINFO,
    profile="skfs",
))
def test_key_status_invalid(fidoconf, skfs):
    _, _, key = _registered_key(fidoconf, skfs)
    update = {"keyid": key["keyid"], "displayname": "k", "status": "Deleted", "modify_location": "fidoconf"}
    refused(skfs, skfs.call("updatekeyinfo", update), 400)


# --- the challenge window ---------------------------------------------------------------------------------------


@case(Case(
    id="SKFS-TIME-F01",
    title="a register after the challenge window is refused",
    requirement="A registration session expires (SKFS: 30 s cutoff, swept every 5 s); an attestation for its "
    "challenge after that is refused ('Request timed out').",
    anchor=REST,
    requires=("skfs:challenge-timeout",),
    profile="skfs",
))
def test_challenge_window(fidoconf, skfs):
    s = skfs.settings
    svcinfo = skfs.svcinfo(did=s.window_did)

    def attempt(wait_s: float):
        username = skfs.username("skfs")
        options, _ = skfs.ok("preregister", skfs.preregister_payload(username, attestation="none"), svcinfo=svcinfo)
        challenge = skfs.challenge_of(options).value
        rp_id = (options.get("rp") or {}).get("id") or fidoconf.config.rp_id
        ceremony = Ceremony(options, challenge, rp_id, username, None)
        credential = fidoconf.credential(ceremony, variant="none").credential
        time.sleep(wait_s)
        return skfs.submission(skfs.call("register", skfs.register_payload(ceremony, credential), svcinfo=svcinfo))

    control = attempt(0)
    if not control.accepted:
        pytest.skip(f"an immediate registration in domain {s.window_did} is refused ({control.message}); "
                    "a late refusal would prove nothing")  # fmt: skip
    wait = s.challenge_window_s + s.sweep_s + 0.5
    late = attempt(wait)
    assert not late.accepted, f"a registration {wait:.1f} s after preregister was accepted"
    if fidoconf.config.has("error-codes"):
        assert late.code == "transaction.timeout.expired", late.code

"""Profiles read the server's challenge in whichever base64 spelling it used, note the spelling in the case report,
and leave judging it to OPT-CHAL-P03; a challenge that is no base64 at all is a coded profile error (the case
ERRORs), never a verification error of the suite's own decoder.

The server is the reference RP (fido-server flavour, in-process transport) behind a small ASGI wrapper that respells
the challenge of every options answer, the way a server with a loose encoder would send it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from fidoconf.conformance.authenticator.authenticator import make_credential
from fidoconf.conformance.config import SuiteConfig
from fidoconf.conformance.profiles.fido_server import FidoServerProfile
from fidoconf.conformance.profiles.server_bytes import ServerEncodingError, server_bytes
from fidoconf.conformance.suites.test_options import test_challenge_encoding as opt_chal_p03
from fidoconf.conformance.targets import inprocess_target
from fidoconf.verifier.rp import RPConfig, create_app

RP_ID, ORIGIN = "localhost", "http://localhost:8000"


def padded(challenge: str) -> str:
    return challenge + "=" * (-len(challenge) % 4)


def standard(challenge: str) -> str:
    return padded(challenge).replace("-", "+").replace("_", "/")


def respelling(app: Any, respell: Callable[[str], Any]) -> Any:
    """ASGI wrapper: the options answer's challenge goes out as respell(challenge)."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http" or not scope["path"].endswith("attestation/options"):
            return await app(scope, receive, send)
        held: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def rewrite(message):
            if message["type"] == "http.response.start":
                held["start"] = message
                return None
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return None
            body = json.loads(b"".join(chunks))
            if "challenge" in body:
                body["challenge"] = respell(body["challenge"])
            data = json.dumps(body).encode()
            headers = [(k, v) for k, v in held["start"]["headers"] if k.lower() != b"content-length"]
            await send({**held["start"], "headers": [*headers, (b"content-length", str(len(data)).encode())]})
            return await send({"type": "http.response.body", "body": data})

        return await app(scope, receive, rewrite)

    return wrapped


@pytest.fixture
def profile_for_server():
    opened = []

    def make(respell: Callable[[str], Any]) -> FidoServerProfile:
        rp = RPConfig(rp_id=RP_ID, origins=(ORIGIN,), issuer=ORIGIN + "/", flavours=("fido-server",),
                      fido_server_prefix="")
        target = inprocess_target(respelling(create_app(rp), respell), base_url=ORIGIN)
        opened.append(target)
        config = SuiteConfig(profile="fido-server", rp_id=RP_ID, origin=ORIGIN, prefix="")
        return FidoServerProfile(config, target)

    yield make
    for target in opened:
        target.close()


@pytest.mark.parametrize(("respell", "spelling"), [(padded, "base64url-padded"), (standard, "base64-padded")])
def test_a_loosely_spelled_challenge_still_makes_a_ceremony(profile_for_server, respell, spelling):
    profile = profile_for_server(respell)
    for _ in range(64):
        # A random challenge without '-' or '_' reads the same in both alphabets (one in four of 32 bytes); the
        # server's next challenge is drawn until its spelling is the one under test.
        profile.target.take_exchanges()
        ceremony = profile.start_registration(attestation="none")
        sent = ceremony.options["challenge"]
        if respell is padded or set(sent) & set("+/"):
            break
    assert sent.endswith("=") and len(sent) % 4 == 0
    assert ceremony.challenge_sent.spelling == spelling
    assert ceremony.challenge == base64.b64decode(standard(sent.rstrip("=")))
    (exchange,) = [e for e in profile.target.take_exchanges() if e.path.endswith("attestation/options")]
    assert exchange.schema_errors == []
    assert exchange.to_json()["notes"] == [ceremony.challenge_sent.note("challenge")]
    assert spelling in exchange.to_json()["notes"][0] and repr(sent) in exchange.to_json()["notes"][0]
    # The suite answers the challenge it read; the server (which issued those bytes) accepts the registration.
    bundle = make_credential(rp_id=RP_ID, origin=ORIGIN, challenge=ceremony.challenge, fmt="none", alg="ES256",
                             seed="profile-encoding")
    submission = profile.finish_registration(ceremony, bundle.credential)
    assert submission.accepted, (submission.code, submission.message)


def test_only_opt_chal_p03_judges_the_spelling(profile_for_server):
    with pytest.raises(AssertionError, match="is not unpadded base64url"):
        opt_chal_p03(SimpleNamespace(profile=profile_for_server(padded)))
    opt_chal_p03(SimpleNamespace(profile=profile_for_server(lambda c: c)))


def undecodable(challenge: str) -> str:
    """Base64 characters (the schema admits them) in a length no base64 encoding has (43 + 2 = 45, 1 mod 4)."""
    assert len(challenge) == 43
    return challenge + "AA"


def test_an_undecodable_challenge_is_a_coded_profile_error_not_a_finding(profile_for_server):
    profile = profile_for_server(undecodable)
    with pytest.raises(ServerEncodingError) as caught:
        profile.start_registration()
    assert caught.value.code == "profile.challenge.malformed"
    assert not isinstance(caught.value, AssertionError)  # the case ERRORs; its own requirement was not tested
    # OPT-CHAL-P03 still judges what was sent.
    with pytest.raises(AssertionError, match="is not unpadded base64url"):
        opt_chal_p03(SimpleNamespace(profile=profile_for_server(undecodable)))


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        (None, "profile.challenge.missing"),
        (True, "profile.challenge.not_string"),
        (16, "profile.challenge.not_string"),
        (["AAAA"], "profile.challenge.not_string"),
        ("", "profile.challenge.malformed"),
        ("A", "profile.challenge.malformed"),
        ("AR", "profile.challenge.malformed"),  # non-zero unused bits: a second spelling of b"\x01"
        ("AQ=", "profile.challenge.malformed"),
        ("AQ===", "profile.challenge.malformed"),
        ("ab-/", "profile.challenge.malformed"),
        ("AQ\n", "profile.challenge.malformed"),
        ("AQ\ud800", "profile.challenge.malformed"),
        ("AQ A", "profile.challenge.malformed"),
    ],
)
def test_what_no_spelling_reads_is_refused_with_its_code(sent, code):
    with pytest.raises(ServerEncodingError) as caught:
        server_bytes(sent, field="challenge")
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("sent", "value", "spelling"),
    [
        ("AQ", b"\x01", "base64url"),
        ("AQ==", b"\x01", "base64url-padded"),
        ("-_8", b"\xfb\xff", "base64url"),
        ("+/8=", b"\xfb\xff", "base64-padded"),
        ("+/8", b"\xfb\xff", "base64"),
    ],
)
def test_each_spelling_is_read_and_named(sent, value, spelling):
    read = server_bytes(sent, field="challenge")
    assert (read.value, read.spelling, read.sent, read.loose) == (value, spelling, sent, spelling != "base64url")


def test_the_spelling_is_a_must_only_where_the_fido_test_id_binds_it():
    """FIDO Req-1 P-1 is the fido-server API's test: there a padded challenge FAILs (MUST); the Nevis and SKFS APIs
    document "base64url" only (RFC 4648 allows padding), so there it is OPT-CHAL-P04's STRICT finding (WARN)."""
    from fidoconf.conformance.cases import unmet
    from fidoconf.conformance.cli_list import collect_cases

    by_id = {found.id: found for found in collect_cases()}
    must, strict = by_id["OPT-CHAL-P03"], by_id["OPT-CHAL-P04"]
    assert (must.severity, strict.severity) == ("MUST", "STRICT")
    applies = {
        profile: [found.id for found in (must, strict) if unmet(found, declares=lambda _: True, profile=profile) is None]
        for profile in ("fido-server", "nevis-cloud", "skfs")
    }
    assert applies == {"fido-server": ["OPT-CHAL-P03"], "nevis-cloud": ["OPT-CHAL-P04"], "skfs": ["OPT-CHAL-P04"]}
    assert unmet(strict, declares=lambda _: True, profile="fido-server") == (
        "Nevis Authentication Cloud lifecycle / StrongKey FIDO Server REST API: profile is not nevis-cloud or skfs")

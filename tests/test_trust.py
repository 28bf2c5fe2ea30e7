"""verifier.trust and verifier.clock: trust anchors and chain validation, on the recorded chains (at their
verify_at) and on generated chains for every refusal. Every refusal asserts its exact code."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fidoconf.verifier import certs
from fidoconf.verifier.clock import fixed_clock, system_clock
from fidoconf.verifier.errors import Code
from fidoconf.verifier.trust import TrustStore, TrustVerdict, validate_chain

from . import seeded
from .test_certs import (
    AAGUID,
    T0,
    Issued,
    aaguid_of,
    attestation_object,
    issue,
    key_usage,
    resign_sha1,
    trust_dir,
    x5c_of,
)


@dataclass(frozen=True)
class _Policy:
    """validate_chain reads only these attributes (verifier.policy.Policy has them all)."""

    allow_sha1: bool = False
    min_rsa_bits: int = 2048
    allow_root_in_x5c: bool = False


STRICT = _Policy()
LENIENT = _Policy(allow_sha1=True, allow_root_in_x5c=True)
AT_T0 = fixed_clock(T0)


def _validate(chain, trust: TrustStore, *, policy=STRICT, clock=AT_T0, aaguid: bytes | None = AAGUID) -> TrustVerdict:
    certificates = [c.cert if isinstance(c, Issued) else c for c in chain]
    return validate_chain(certificates, trust=trust, aaguid=aaguid, clock=clock, policy=policy)


def _refused(verdict: TrustVerdict, code: Code) -> None:
    assert (verdict.trusted, verdict.code) == (False, code), verdict.reason
    assert verdict.path == ()


def _trusted(verdict: TrustVerdict) -> None:
    assert (verdict.trusted, verdict.code) == (True, None), verdict.reason


# --- recorded chains ---------------------------------------------------------------------------------------------

ROOTS = [r for r in json.loads((trust_dir() / "vector_roots.json").read_text()) if r.get("x5c_len")]
#: Under LENIENT (SHA-1 and a root in x5c allowed) with every anchor in the trust directory. Anything not
#: listed validates. Decisions, each explained in the report and in verifier/trust.py:
NOT_VALIDATING = {
    # The 2018 FIDO test root says pathlen:0, yet an intermediate sits below it (RFC 5280 §4.2.1.9). The leaf's
    # AKI naming the root's key rather than x5c[1]'s is not what refuses it: paths are built by name and
    # signature, and the signature does verify.
    "f2n-android-key": Code.TRUST_CHAIN_INVALID,
    # The AIK's certificatePolicies and SAN are critical but not DER cryptography can parse (a PrintableString
    # UserNotice); RFC 5280 §4.2: a critical extension that cannot be processed makes the certificate unusable.
    "f2n-tpm-rsa-sha1": Code.TRUST_CHAIN_INVALID,
    "f2n-tpm-rsa-sha256": Code.TRUST_CHAIN_INVALID,
    # No public anchor exists for these chains (vector_roots.json: "no anchor available").
    "f2n-packed-x5c-trustkey-t110": Code.TRUST_CHAIN_UNTRUSTED,
    "go-packed-x5c-gramthanos": Code.TRUST_CHAIN_UNTRUSTED,
    "swa-packed-x5c-aaguid-ext-match": Code.TRUST_CHAIN_UNTRUSTED,
    "swa-packed-x5c-aaguid-ext-mismatch": Code.TRUST_CHAIN_UNTRUSTED,
    "swa-packed-x5c-chrome-virtual-bad-basic-constraints": Code.TRUST_CHAIN_UNTRUSTED,
    "swa-tpm-aaguid-ext-match": Code.TRUST_CHAIN_UNTRUSTED,
}


@pytest.fixture(scope="module")
def all_anchors() -> TrustStore:
    return TrustStore.from_pem_paths(trust_dir())


def _recorded(entry: dict) -> tuple[list[x509.Certificate], dt.datetime]:
    return list(certs.load_x5c(x5c_of(entry["vector"]))), fixed_clock(entry["verify_time"])


@pytest.mark.filterwarnings("ignore:Parsed a serial number")
@pytest.mark.parametrize("entry", ROOTS, ids=[r["vector"] for r in ROOTS])
def test_recorded_chain_against_every_anchor(entry, all_anchors):
    chain, clock = _recorded(entry)
    verdict = _validate(chain, all_anchors, policy=LENIENT, clock=clock, aaguid=aaguid_of(entry["vector"]))
    expected = NOT_VALIDATING.get(entry["vector"])
    if expected is None:
        _trusted(verdict)
        assert verdict.path[0] == chain[0] and verdict.path[-1] in all_anchors.anchors
    else:
        _refused(verdict, expected)


@pytest.mark.filterwarnings("ignore:Parsed a serial number")
@pytest.mark.parametrize("entry", [r for r in ROOTS if r.get("root")], ids=lambda r: r["vector"])
def test_recorded_chain_against_its_documented_root(entry):
    chain, clock = _recorded(entry)
    trust = TrustStore.from_pem_paths(trust_dir() / entry["root"], trust_dir() / "intermediates")
    verdict = _validate(chain, trust, policy=LENIENT, clock=clock, aaguid=aaguid_of(entry["vector"]))
    if entry["vector"] in NOT_VALIDATING:
        _refused(verdict, NOT_VALIDATING[entry["vector"]])
    else:
        _trusted(verdict)
        assert verdict.path[-1] == trust.anchors[0]


def test_recorded_pathlen_violation_is_named():
    (entry,) = [r for r in ROOTS if r["vector"] == "f2n-android-key"]
    chain, clock = _recorded(entry)
    trust = TrustStore.from_pem_paths(trust_dir() / entry["root"])
    assert "pathLenConstraint 0" in _validate(chain, trust, policy=LENIENT, clock=clock).reason


@pytest.mark.parametrize("name", ["pyw-u2f-fido-conformance", "swa-u2f-sha1-leaf-cert"])
def test_recorded_sha1_leaf_needs_allow_sha1(name, all_anchors):
    # Both leaves are sha1WithRSA under the v1 FIDO2 TEST ROOT: cryptography refuses both facts, so the explicit
    # walk decides, and SHA-1 is policy.
    (entry,) = [r for r in ROOTS if r["vector"] == name]
    chain, clock = _recorded(entry)
    _refused(_validate(chain, all_anchors, policy=STRICT, clock=clock), Code.TRUST_CHAIN_WEAK_SIGNATURE)
    verdict = _validate(chain, all_anchors, policy=_Policy(allow_sha1=True), clock=clock)
    _trusted(verdict)
    assert "SHA-1 signature allowed by policy" in verdict.reason and "v1 trust anchor" in verdict.reason


@pytest.mark.parametrize("name", ["f2n-packed-x5c", "wrs-android-key-webauthn-org"])
def test_recorded_root_in_x5c_is_policy(name, all_anchors):
    (entry,) = [r for r in ROOTS if r["vector"] == name]
    chain, clock = _recorded(entry)
    _refused(_validate(chain, all_anchors, policy=STRICT, clock=clock), Code.TRUST_CHAIN_ROOT_INCLUDED)
    verdict = _validate(chain, all_anchors, policy=_Policy(allow_root_in_x5c=True), clock=clock)
    _trusted(verdict)
    # The anchor comes from the trust store; the copy in x5c is never part of the validated path.
    assert len(verdict.path) == len(chain) and verdict.path[-1] in all_anchors.anchors


def test_recorded_generalized_time_is_tolerated_by_the_walk(all_anchors):
    (entry,) = [r for r in ROOTS if r["vector"] == "f2n-packed-x5c"]
    chain, clock = _recorded(entry)
    verdict = _validate(chain, all_anchors, policy=LENIENT, clock=clock)
    _trusted(verdict)
    assert "GeneralizedTime" in verdict.reason


def test_recorded_chain_expired_now(all_anchors):
    # The SafetyNet leaf lived for months; at the W3C-era "now" of vector_roots.json it is long expired.
    chain, _ = _recorded(next(r for r in ROOTS if r["vector"] == "pyw-safetynet"))
    _refused(_validate(chain, all_anchors, clock=fixed_clock("2026-11-23T12:00:00Z")), Code.TRUST_CHAIN_EXPIRED)


def test_recorded_leaf_only_x5c_uses_store_intermediates():
    chain, clock = _recorded(next(r for r in ROOTS if r["vector"] == "wrs-packed-x5c-solokey-v2-eddsa-bad-sig"))
    root_only = TrustStore.from_pem_paths(trust_dir() / "solokeys-root-r1.pem")
    _refused(_validate(chain, root_only, clock=clock), Code.TRUST_CHAIN_UNTRUSTED)
    verdict = _validate(chain, root_only.with_intermediates(*TrustStore.from_pem_paths(trust_dir()).intermediates))
    _trusted(verdict)
    assert [c.subject.rfc4514_string() for c in verdict.path[1:]] == [
        "CN=F1,C=CH,O=SoloKeys",
        "CN=Root R1,C=CH,O=SoloKeys",
    ]


def test_recorded_chain_wrong_root():
    chain, clock = _recorded(next(r for r in ROOTS if r["vector"] == "swa-packed-x5c"))
    _refused(
        _validate(chain, TrustStore.from_pem_paths(trust_dir() / "apple-webauthn-root-ca.pem"), clock=clock),
        Code.TRUST_CHAIN_UNTRUSTED,
    )


def test_recorded_aaguid_anchors_replace_the_general_ones(all_anchors):
    name = "wrs-packed-x5c-fido-aaguid-ext-valid"
    chain, clock = _recorded(next(r for r in ROOTS if r["vector"] == name))
    aaguid = aaguid_of(name)
    apple = TrustStore.from_pem_paths(trust_dir() / "apple-webauthn-root-ca.pem").anchors
    yubico = TrustStore.from_pem_paths(trust_dir() / "yubico-u2f-root-ca-serial-457200631.pem").anchors
    pinned_elsewhere = all_anchors.with_aaguid_anchors(aaguid, apple)
    _refused(_validate(chain, pinned_elsewhere, clock=clock, aaguid=aaguid), Code.TRUST_CHAIN_UNTRUSTED)
    _trusted(_validate(chain, TrustStore.empty().with_aaguid_anchors(aaguid, yubico), clock=clock, aaguid=aaguid))
    # Another AAGUID with no entry of its own falls back to the general anchors, and finds none here.
    _refused(
        _validate(chain, TrustStore.empty().with_aaguid_anchors(aaguid, yubico), clock=clock, aaguid=bytes(16)),
        Code.TRUST_ANCHOR_MISSING,
    )


# --- generated chains --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki() -> dict[str, Issued]:
    root = issue("Root", ca=True)
    ca = issue("Intermediate", issuer=root, ca=True, path_length=0)
    return {"root": root, "ca": ca, "leaf": issue("Leaf", issuer=ca), "direct": issue("Direct", issuer=root)}


@pytest.fixture(scope="module")
def anchored(pki) -> TrustStore:
    return TrustStore.from_certificates([pki["root"].cert])


def test_generated_chains_validate(pki, anchored):
    verdict = _validate([pki["leaf"], pki["ca"]], anchored)
    _trusted(verdict)
    assert verdict.path == (pki["leaf"].cert, pki["ca"].cert, pki["root"].cert)
    _trusted(_validate([pki["direct"]], anchored))


def test_no_anchor_is_never_verified(pki):
    _refused(_validate([pki["leaf"], pki["ca"]], TrustStore.empty()), Code.TRUST_ANCHOR_MISSING)
    # Helper intermediates are never anchors.
    helpers_only = TrustStore.from_certificates(intermediates=[pki["ca"].cert])
    _refused(_validate([pki["leaf"]], helpers_only), Code.TRUST_ANCHOR_MISSING)


def test_empty_chain(anchored):
    _refused(_validate([], anchored), Code.TRUST_CHAIN_INVALID)


def test_wrong_root(pki):
    other = TrustStore.from_certificates([issue("Other Root", ca=True).cert])
    _refused(_validate([pki["leaf"], pki["ca"]], other), Code.TRUST_CHAIN_UNTRUSTED)


def test_anchor_is_the_attestation_certificate(pki):
    # FIDO Resp-5 P-3: the metadata lists the batch certificate itself (CA false, not self-signed).
    verdict = _validate([pki["leaf"]], TrustStore.from_certificates([pki["leaf"].cert]))
    _trusted(verdict)
    assert verdict.path == (pki["leaf"].cert,)


@pytest.mark.parametrize("critical", [True, False])
def test_root_basic_constraints_criticality_is_irrelevant(critical):
    # FIDO Resp-5 P-4: a root with a critical basicConstraints.
    root = issue("Root", ca=True, bc_critical=critical)
    _trusted(_validate([issue("Leaf", issuer=root)], TrustStore.from_certificates([root.cert])))


def test_root_without_key_usage_is_fine_but_key_usage_without_cert_sign_is_not():
    plain = issue("Root", ca=True)
    _trusted(_validate([issue("Leaf", issuer=plain)], TrustStore.from_certificates([plain.cert])))
    root = issue("Root", ca=True)
    ca = issue("CA", issuer=root, ca=True, key_usage=key_usage(cert_sign=False))
    _refused(
        _validate([issue("Leaf", issuer=ca), ca], TrustStore.from_certificates([root.cert])), Code.TRUST_CHAIN_INVALID
    )


@pytest.mark.parametrize(
    ("days", "code"), [((-30, -1), Code.TRUST_CHAIN_EXPIRED), ((1, 30), Code.TRUST_CHAIN_NOT_YET_VALID)]
)
def test_leaf_validity(pki, anchored, days, code):
    # FIDO Resp-5 F-6, F-7.
    _refused(_validate([issue("Leaf", issuer=pki["ca"], valid=days), pki["ca"]], anchored), code)


def test_intermediate_expired(pki, anchored):
    # FIDO Resp-5 F-12.
    ca = issue("Intermediate", issuer=pki["root"], ca=True, valid=(-30, -1))
    _refused(_validate([issue("Leaf", issuer=ca), ca], anchored), Code.TRUST_CHAIN_EXPIRED)


def test_anchor_expired():
    root = issue("Root", ca=True, valid=(-30, -1))
    verdict = _validate([issue("Leaf", issuer=root)], TrustStore.from_certificates([root.cert]))
    _refused(verdict, Code.TRUST_CHAIN_EXPIRED)
    assert verdict.reason.startswith("the anchor")


def test_prepared_verifier_gives_the_verdict_of_a_fresh_store_at_every_instant():
    # A trust store reuses its chain verifier within one second (cryptography reads the validation time to the
    # whole second); around an anchor's notAfter, instants a fraction of a second apart, validated one after the
    # other through one store, get the verdicts a newly prepared store gives each of them.
    root = issue("Root", ca=True, valid=(-30, 1))
    chain = [issue("Leaf", issuer=root, valid=(-1, 30))]
    store = TrustStore.from_certificates([root.cert])
    expiry = root.cert.not_valid_after_utc
    verdicts = []
    for offset in (-1.0, -0.5, 0.0, 0.25, 0.999, 1.0, 1.5, -0.75):
        clock = fixed_clock(expiry + dt.timedelta(seconds=offset))
        reused = _validate(chain, store, clock=clock)
        assert reused == _validate(chain, TrustStore.from_certificates([root.cert]), clock=clock)
        verdicts.append(reused.trusted)
    # Trusted through the anchor's last second (cryptography's whole-second reading), expired from the next one.
    assert verdicts == [True, True, True, True, True, False, False, True]


def test_helper_intermediate_not_yet_valid(pki):
    ca = issue("Intermediate", issuer=pki["root"], ca=True, valid=(5, 30))
    trust = TrustStore.from_certificates([pki["root"].cert], intermediates=[ca.cert])
    _refused(_validate([issue("Leaf", issuer=ca, valid=(-1, 30))], trust), Code.TRUST_CHAIN_NOT_YET_VALID)


def test_root_included(pki, anchored):
    # FIDO Resp-5 F-10, unless policy allows a trailing root, which is then dropped (never an anchor).
    chain = [pki["leaf"], pki["ca"], pki["root"]]
    _refused(_validate(chain, anchored), Code.TRUST_CHAIN_ROOT_INCLUDED)
    _trusted(_validate(chain, anchored, policy=_Policy(allow_root_in_x5c=True)))
    stranger = TrustStore.from_certificates([issue("Other Root", ca=True).cert])
    _refused(_validate(chain, stranger, policy=_Policy(allow_root_in_x5c=True)), Code.TRUST_CHAIN_UNTRUSTED)


def test_wrong_order(pki, anchored):
    # FIDO Resp-5 F-11: x5c = [intermediate, leaf].
    _refused(_validate([pki["ca"], pki["leaf"]], anchored), Code.TRUST_CHAIN_INVALID)


def test_wrong_intermediate(pki, anchored):
    # FIDO Resp-5 F-9: the intermediate named by the leaf, but another key.
    impostor = issue("Intermediate", issuer=pki["root"], ca=True)
    _refused(_validate([pki["leaf"], impostor], anchored), Code.TRUST_CHAIN_INVALID)


def test_bad_signature_by_the_anchor(pki, anchored):
    # Same issuer name as the anchor, different key: the anchor is found by name but does not verify.
    forged = issue("Leaf", issuer=Issued(pki["root"].cert, issue("Root", ca=True).key))
    _refused(_validate([forged], anchored), Code.TRUST_CHAIN_INVALID)


def test_intermediate_not_a_ca(pki, anchored):
    for ca in (issue("Intermediate", issuer=pki["root"], ca=False), issue("Intermediate", issuer=pki["root"], ca=None)):
        _refused(_validate([issue("Leaf", issuer=ca), ca], anchored), Code.TRUST_CHAIN_INVALID)


def test_leaf_is_a_ca(pki, anchored):
    _refused(_validate([issue("Leaf", issuer=pki["ca"], ca=True), pki["ca"]], anchored), Code.TRUST_CHAIN_INVALID)


def test_path_length_exceeded(pki, anchored):
    deeper = issue("Sub", issuer=pki["ca"], ca=True)
    _refused(_validate([issue("Leaf", issuer=deeper), deeper, pki["ca"]], anchored), Code.TRUST_CHAIN_INVALID)


def test_unknown_critical_extension_on_the_leaf(pki, anchored):
    odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    _refused(
        _validate([issue("Leaf", issuer=pki["ca"], extensions=((odd, True),)), pki["ca"]], anchored),
        Code.TRUST_CHAIN_INVALID,
    )


@pytest.fixture(scope="module")
def rsa_root() -> Issued:
    return issue("RSA Root", ca=True, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))


def test_sha1_signature(rsa_root):
    sha1_leaf = resign_sha1(issue("Leaf", issuer=rsa_root), rsa_root)
    trust = TrustStore.from_certificates([rsa_root.cert])
    _refused(_validate([sha1_leaf], trust), Code.TRUST_CHAIN_WEAK_SIGNATURE)
    verdict = _validate([sha1_leaf], trust, policy=_Policy(allow_sha1=True))
    _trusted(verdict)
    assert "SHA-1" in verdict.reason


def test_small_rsa_issuer_key_is_policy():
    root = issue("Old Root", ca=True, key=rsa.generate_private_key(public_exponent=65537, key_size=1024))
    trust = TrustStore.from_certificates([root.cert])
    leaf = issue("Leaf", issuer=root)
    _refused(_validate([leaf], trust), Code.TRUST_CHAIN_WEAK_SIGNATURE)
    verdict = _validate([leaf], trust, policy=_Policy(min_rsa_bits=1024))
    _trusted(verdict)
    assert "1024-bit RSA" in verdict.reason


def test_issuer_key_outside_web_pki_is_walked():
    # cryptography's verifier refuses a secp256k1 issuer key; attestation PKI has no such rule.
    root = issue("K1 Root", ca=True, key=seeded.ec_key(ec.SECP256K1()))
    verdict = _validate([issue("Leaf", issuer=root)], TrustStore.from_certificates([root.cert]))
    _trusted(verdict)
    assert "secp256k1" in verdict.reason


# --- TrustStore ----------------------------------------------------------------------------------------------------


def _write_pem(path, *certificates: x509.Certificate) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates))


def test_from_pem_paths_directories_and_intermediates(tmp_path, pki):
    _write_pem(tmp_path / "roots" / "root.pem", pki["root"].cert)
    _write_pem(tmp_path / "roots" / "nested" / "both.pem", pki["direct"].cert, pki["root"].cert)
    _write_pem(tmp_path / "roots" / "intermediates" / "ca.pem", pki["ca"].cert)
    (tmp_path / "roots" / "notes.txt").write_text("not a certificate")
    trust = TrustStore.from_pem_paths(tmp_path / "roots")
    assert trust.anchors == (pki["direct"].cert, pki["root"].cert)  # sorted file order, duplicates dropped
    assert trust.intermediates == (pki["ca"].cert,)
    for helpers in (tmp_path / "roots" / "intermediates", tmp_path / "roots" / "intermediates" / "ca.pem"):
        only = TrustStore.from_pem_paths(helpers)
        assert (only.anchors, only.intermediates) == ((), (pki["ca"].cert,))


def test_from_pem_paths_refuses_bad_configuration(tmp_path):
    with pytest.raises(ValueError, match="neither a file nor a directory"):
        TrustStore.from_pem_paths(tmp_path / "missing")
    (tmp_path / "bad.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(ValueError, match="bad.pem"):
        TrustStore.from_pem_paths(tmp_path / "bad.pem")


def test_trust_store_is_an_immutable_value(pki):
    empty = TrustStore.empty()
    grown = empty.with_anchors(pki["root"].cert)
    assert empty.anchors == () and grown.anchors == (pki["root"].cert,)
    assert grown == TrustStore.from_certificates([pki["root"].cert, pki["root"].cert])
    pinned = grown.with_aaguid_anchors(AAGUID, [pki["direct"].cert])
    assert pinned.anchors_for(AAGUID) == (pki["direct"].cert,) and pinned.anchors_for(None) == (pki["root"].cert,)
    with pytest.raises(TypeError):
        pinned.anchors_by_aaguid[AAGUID] = ()  # type: ignore[index]


def test_recorded_trust_directory_loads():
    trust = TrustStore.from_pem_paths(trust_dir())
    files = sorted(trust_dir().rglob("*.pem"))
    helpers = [f for f in files if "intermediates" in f.parts]
    assert (len(trust.anchors), len(trust.intermediates)) == (len(files) - len(helpers), len(helpers)) != (0, 0)


# --- clock ---------------------------------------------------------------------------------------------------------


def test_fixed_clock_accepts_iso_text_and_aware_datetimes():
    assert fixed_clock("2021-09-01T00:00:00Z")() == dt.datetime(2021, 9, 1, tzinfo=dt.UTC)
    plus_two = dt.datetime(2021, 9, 1, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert fixed_clock(plus_two)() == dt.datetime(2021, 9, 1, tzinfo=dt.UTC)
    assert fixed_clock(plus_two)().tzinfo is dt.UTC


@pytest.mark.parametrize("value", ["2021-09-01T00:00:00", dt.datetime(2021, 9, 1)])
def test_fixed_clock_refuses_naive_time(value):
    with pytest.raises(ValueError, match="UTC offset"):
        fixed_clock(value)


def test_system_clock_is_aware_utc():
    assert system_clock().tzinfo is dt.UTC


def test_attestation_object_helper_reads_fmt():
    assert attestation_object("swa-packed-x5c")["fmt"] == "packed"

"""One example, one fresh ceremony: options → credential for that challenge → the target's answer, judged by the
reference verifier under the target's policy.

Kinds of finding: wrong-accept (the target accepts what the reference refuses: the reference code says which
requirement), wrong-reject (the reference accepts), robustness (5xx, timeout, dropped connection, slower than the
threshold), reference-fault (the reference itself answers internal.unexpected.error).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx
from fidoconf.verifier import Policy, TrustStore, VerificationError, verify_registration

from ..authenticator.authenticator import make_credential
from ..environment import Environment
from ..profiles import Ceremony, ProfileError
from .strategies import Example, combine

INTERNAL = "internal.unexpected.error"
WRONG_ACCEPT, WRONG_REJECT, ROBUSTNESS, REFERENCE_FAULT = "wrong-accept", "wrong-reject", "robustness", "reference-fault"
#: Kinds that fail a run (exit 1): a server that takes a bad credential or falls over.
FAILING_KINDS = frozenset({WRONG_ACCEPT, ROBUSTNESS})


class Unbuildable(Exception):
    """The drawn defects do not compose into a credential (one hook's output is not the next one's input)."""


@dataclass(frozen=True)
class Verdict:
    result: str  # accept | reject | error
    code: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Observation:
    example: Example
    reference: Verdict
    target: Verdict
    ceremony: dict[str, Any]
    credential: dict[str, Any]
    elapsed_s: float
    #: The credential id was accepted earlier in this run (a catalogued defect may fix the id): whether the target
    #: refuses it again is store behaviour (a SHOULD), not the verdict under test, so the example decides nothing.
    duplicate: bool = False
    #: The finish request as sent (method, url, headers, body): what the curl reproduction replays.
    request: dict[str, Any] | None = None

    @property
    def kind(self) -> str | None:
        if self.duplicate and self.target.result != "error":
            return None
        if self.reference.code == INTERNAL:
            return REFERENCE_FAULT
        if self.target.result == "error":
            return ROBUSTNESS
        if self.target.result == "accept" and self.reference.result == "reject":
            return WRONG_ACCEPT
        if self.target.result == "reject" and self.reference.result == "accept":
            return WRONG_REJECT
        return None

    @property
    def key(self) -> tuple[str, str] | None:
        kind = self.kind
        if kind is None:
            return None
        code = self.target.code if kind == ROBUSTNESS else self.reference.code
        return kind, code or "accept"


def ceremony_policy(base: Policy, options: dict[str, Any]) -> Policy:
    # #sctn-registering-a-new-credential step 16: an RP that asked for userVerification "required" must see UV.
    selection = options.get("authenticatorSelection") or {}
    if selection.get("userVerification") == "required" and not base.require_user_verification:
        return replace(base, require_user_verification=True)
    return base


def reference_verdict(
    credential: dict[str, Any], *, ceremony: Ceremony, origin: str, policy: Policy, trust: TrustStore,
    verify: Callable[..., Any] = verify_registration,
) -> Verdict:
    algorithms = [p.get("alg") for p in ceremony.options.get("pubKeyCredParams", []) if isinstance(p, dict)]
    try:
        verify(
            credential,
            expected_challenge=ceremony.challenge,
            expected_origin=[origin],
            expected_rp_id=ceremony.rp_id,
            expected_algorithms=algorithms or None,
            policy=ceremony_policy(policy, ceremony.options),
            trust=trust,
        )
    except VerificationError as exc:
        return Verdict("reject", exc.code.value, exc.message)
    return Verdict("accept")


class Oracle:
    """Runs examples against one environment's target; `slow_s` is the robustness threshold per answer."""

    def __init__(self, env: Environment, *, policy: Policy, trust: TrustStore, slow_s: float = 5.0) -> None:
        self.env, self.policy, self.trust, self.slow_s = env, policy, trust, slow_s
        self.count = 0
        self.accepted_ids: set[str] = set()

    def root_pem(self) -> str:
        return self.env.pki.root_pem()

    def build(self, example: Example, ceremony: Ceremony, *, seed: str) -> dict[str, Any]:
        try:
            bundle = make_credential(
                rp_id=ceremony.rp_id, origin=self.env.config.origin, challenge=ceremony.challenge,
                fmt=example.variant, alg=example.alg, seed=seed, mutation=combine(example.defects), pki=self.env.pki,
            )
        except Exception as exc:  # a hook meeting another hook's output: not a credential, not a finding
            raise Unbuildable(f"{type(exc).__name__}: {exc}") from None
        return bundle.credential

    def observe(self, example: Example) -> Observation:
        self.count += 1
        # A fresh key and credential id per ceremony: a stored credential id must not turn the next into a dup.
        seed = "fuzz/" + hashlib.sha256(f"{self.count}/{time.monotonic_ns()}".encode()).hexdigest()[:24]
        ceremony = self.env.profile.start_registration()
        credential = self.build(example, ceremony, seed=seed)
        reference = reference_verdict(
            credential, ceremony=ceremony, origin=self.env.config.origin, policy=self.policy, trust=self.trust
        )
        started = time.perf_counter()
        target = self.submit(ceremony, credential)
        elapsed = time.perf_counter() - started
        if target.result != "error" and elapsed > self.slow_s:
            target = Verdict("error", "slow", f"answered in {elapsed:.1f} s (threshold {self.slow_s} s)")
        exchanges = self.env.target.take_exchanges()  # per example, or a long run keeps every exchange alive
        request = _request_of(self.env, exchanges[-1]) if exchanges else None
        raw_id = credential.get("rawId") if isinstance(credential, dict) else None
        duplicate = isinstance(raw_id, str) and raw_id in self.accepted_ids
        if target.result == "accept" and isinstance(raw_id, str):
            self.accepted_ids.add(raw_id)
        return Observation(
            example, reference, target, _ceremony_record(ceremony), credential, elapsed, duplicate, request
        )

    def submit(self, ceremony: Ceremony, credential: dict[str, Any]) -> Verdict:
        try:
            submission = self.env.profile.finish_registration(ceremony, credential)
        except httpx.TimeoutException as exc:
            return Verdict("error", "timeout", str(exc))
        except httpx.HTTPError as exc:
            return Verdict("error", "connection", f"{type(exc).__name__}: {exc}")
        except ProfileError as exc:
            status = _status_of(self.env)
            if status is not None and status >= 500:
                return Verdict("error", f"http-{status}", str(exc)[:300])
            return Verdict("reject", None, str(exc)[:300])
        if submission.http_status >= 500:
            return Verdict("error", f"http-{submission.http_status}", submission.message[:300])
        if submission.accepted:
            return Verdict("accept")
        return Verdict("reject", submission.code, submission.message[:300])


def _status_of(env: Environment) -> int | None:
    exchanges = env.target.exchanges
    last = exchanges[-1] if exchanges else None
    return getattr(last, "status", None) if last is not None else None


def _request_of(env: Environment, exchange: Any) -> dict[str, Any]:
    return {"method": exchange.method, "url": env.target.base_url.rstrip("/") + exchange.path,
            "headers": dict(exchange.request_headers), "body": exchange.request_body}


def _ceremony_record(ceremony: Ceremony) -> dict[str, Any]:
    return {"rp_id": ceremony.rp_id, "challenge": ceremony.challenge, "options": ceremony.options}

"""The reference RP's closed vocabulary: what the RP refused about a request, a token or a ceremony's state.

Kept apart from the verifier's `Code` (verifier/errors.py), which names what is wrong with a credential: a
verifier library user never meets these. Raised the same way (`raise fail(RpCode.X, "why")`), exported to
schemas/rp_errors.json, and `tests/test_error_vocabulary.py` holds both vocabularies to the same rules.
"""

from __future__ import annotations

from enum import StrEnum


class RpCode(StrEnum):
    REQUEST_BODY_INVALID = "request.body.invalid"
    REQUEST_BODY_TOO_LARGE = "request.body.too_large"
    TOKEN_VALUE_MISSING = "token.value.missing"
    TOKEN_JWT_INVALID = "token.jwt.invalid"
    TOKEN_JWT_EXPIRED = "token.jwt.expired"
    TOKEN_KIND_MISMATCH = "token.kind.mismatch"
    TOKEN_JTI_CONSUMED = "token.jti.consumed"
    TRANSACTION_ID_UNKNOWN = "transaction.id.unknown"
    TRANSACTION_STATUS_NOT_PENDING = "transaction.status.not_pending"
    TRANSACTION_TIMEOUT_EXPIRED = "transaction.timeout.expired"
    TRANSACTION_DISPATCH_NOT_REDEEMED = "transaction.dispatch.not_redeemed"
    TRANSACTION_PENDING_LIMIT_REACHED = "transaction.pending.limit_reached"
    CREDENTIAL_ID_ALREADY_REGISTERED = "credential.id.already_registered"
    USER_AUTHENTICATORS_LIMIT_REACHED = "user.authenticators.limit_reached"
    REQUEST_METHOD_NOT_ALLOWED = "request.method.not_allowed"
    REQUEST_CONTENT_TYPE_UNSUPPORTED = "request.content_type.unsupported"
    REQUEST_ACCEPT_UNSATISFIABLE = "request.accept.unsatisfiable"
    EXTENSION_CRED_PROTECT_INVALID = "extension.cred_protect.invalid"
    EXTENSION_CRED_PROTECT_NOT_ENFORCED = "extension.cred_protect.not_enforced"
    EXTENSION_HMAC_SECRET_INVALID = "extension.hmac_secret.invalid"
    EXTENSION_CRED_PROPS_INVALID = "extension.cred_props.invalid"

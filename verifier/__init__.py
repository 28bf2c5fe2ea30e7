"""fidoconf reference verifier: strict WebAuthn registration verification with coded errors."""

from .errors import Code, VerificationError
from .policy import PRESETS, Policy
from .registration import RegistrationResult, verify_registration
from .trust import TrustStore

__all__ = [
    "Code",
    "PRESETS",
    "Policy",
    "RegistrationResult",
    "TrustStore",
    "VerificationError",
    "verify_registration",
]

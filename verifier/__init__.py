"""fidoconf reference verifier: strict WebAuthn registration verification with coded errors."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version

from .errors import Code, VerificationError
from .policy import PRESETS, Policy
from .registration import RegistrationResult, verify_registration
from .trust import TrustStore

try:
    # The one place the version is written is pyproject.toml; everything else reads the installed metadata.
    __version__ = _distribution_version("fidoconf")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "Code",
    "PRESETS",
    "Policy",
    "RegistrationResult",
    "TrustStore",
    "VerificationError",
    "verify_registration",
]

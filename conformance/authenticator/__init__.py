"""Virtual authenticator: WebAuthn registration credentials in every fmt and COSE algorithm, one defect at a time.

`make_credential` builds a credential; `defects.registry()` is the defect catalogue; `ca.TestPKI` the test
PKI; `generate` writes the deterministic vectors under vectors/generated. It uses nothing of `verifier` but its
DER reader (one home for reading DER): it makes the input the verifier is tested with.
"""

from .authenticator import FORMAT_VARIANTS, CredentialBundle, VirtualAuthenticator, make_credential
from .ca import TestPKI, export_trust
from .defects import registry
from .keys import ALGS
from .mutations import Mutation

__all__ = [
    "ALGS",
    "FORMAT_VARIANTS",
    "CredentialBundle",
    "Mutation",
    "TestPKI",
    "VirtualAuthenticator",
    "export_trust",
    "make_credential",
    "registry",
]

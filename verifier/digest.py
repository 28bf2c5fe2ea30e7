"""Message digests on the verification hot path.

hashlib.sha256(data) looks the algorithm up in OpenSSL's provider tables on every call (OpenSSL 3), and
hashlib.new(name, data) looks up the name first: both cost more than hashing a clientDataJSON. A context made once
per algorithm and copied per digest skips both lookups and gives the same bytes.
"""

from __future__ import annotations

import hashlib

#: One initialised context per algorithm WebAuthn hashes with (clientDataJSON, TPM extraData and names).
_PROTOTYPES = {name: hashlib.new(name) for name in ("sha1", "sha256", "sha384", "sha512")}


def digest(name: str, data: bytes) -> bytes:
    """hashlib.new(name, data).digest(), for `name` among sha1, sha256, sha384 and sha512."""
    prototype = _PROTOTYPES.get(name)
    if prototype is None:
        return hashlib.new(name, data).digest()
    context = prototype.copy()
    context.update(data)
    return context.digest()

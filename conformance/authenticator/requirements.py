"""The sentences live cases quote: the normative text a defect breaks (or, for fidoconf's own hardening, why no
text requires it). The catalogue's Mutations name them, so a recipe, a generated vector and the live suite all quote
the same words (issue 17: one home per defect)."""

from __future__ import annotations

#: The registration procedure's own MUST, for a step quoted without a keyword of its own.
PROCEDURE = "In order to perform a registration ceremony, the Relying Party MUST proceed as follows: … "

ATTOBJ_DECODE = PROCEDURE + (
    "Perform CBOR decoding on the attestationObject field of the AuthenticatorAttestationResponse structure to "
    "obtain the attestation statement format fmt, the authenticator data authData, and the attestation statement "
    "attStmt."
)
ATTOBJ_DUPLICATE_MEMBER = PROCEDURE + (
    "Perform CBOR decoding on the attestationObject field of the AuthenticatorAttestationResponse structure to "
    "obtain the attestation statement format fmt, the authenticator data authData, and the attestation statement "
    "attStmt. RFC 8949 §5.6: a map with duplicate keys is not valid; with two different values there is no single "
    "fmt or attStmt to obtain."
)
ATTOBJ_MEMBERS = (
    "attObj = { authData: bytes, $$attStmtType }, attStmtType = ( fmt: text, attStmt: { ... } ): no other member; "
    "WebAuthn has no step refusing extra members: fidoconf's own hardening."
)
AUTHDATA_CRED_ID_1024 = (
    "Verify that the credentialId is ≤ 1023 bytes. Credential IDs larger than this many bytes SHOULD cause the RP "
    "to fail this registration ceremony."
)
AUTHDATA_LAYOUT = PROCEDURE + (
    "Verify that the rpIdHash in authData is the SHA-256 hash of the RP ID … (authData is parsed by its layout: "
    "rpIdHash (32) | flags (1) | signCount (4) | attestedCredentialData | extensions; the extensions, when the ED "
    "flag is set, are a CBOR map)."
)
CLIENT_DATA_CROSS_ORIGIN_STRING = (
    "crossOrigin is a boolean (#dictdef-collectedclientdata); a string is not true, and no step asks the RP to "
    "police member types: fidoconf's own hardening."
)
CLIENT_DATA_DUPLICATE_TYPE_DIFFERS = (
    "JSON texts with a duplicate member are not interoperable (RFC 8259 §4: names SHOULD be unique); the client "
    "data parser is implementation-specific: fidoconf's own hardening."
)
CLIENT_DATA_INVALID_UTF8 = (
    "UTF-8 decode (Encoding Standard) replaces invalid bytes with U+FFFD rather than failing: refusing them is "
    "fidoconf's own hardening."
)
CLIENT_DATA_JSON = PROCEDURE + (
    "Let JSONtext be the result of running UTF-8 decode on the value of response.clientDataJSON. … Let C, the "
    "client data claimed as collected during the credential creation, be the result of running an "
    "implementation-specific JSON parser on JSONtext."
)
CLIENT_DATA_TRAILING_JSON = "One JSON value in clientDataJSON; the L3 parser is implementation-specific: fidoconf's own hardening."
COSE_ALG_MATCH = PROCEDURE + (
    "Verify that the \"alg\" parameter in the credential public key in authData matches the alg attribute of one of "
    "the items in pkOptions.pubKeyCredParams (the credentialPublicKey is a COSE_Key, parsed from "
    "attestedCredentialData: aaguid | credentialIdLength | credentialId | credentialPublicKey)."
)
COSE_BOOL_LABEL = (
    "RFC 9052 §7: COSE_Key labels are int / tstr; a boolean label is no label at all (Python reads True as 1): no "
    "WebAuthn step asks the RP to police label types: fidoconf's own hardening."
)
COSE_KTY_MISSING = "RFC 9052 §7.1: kty: … This parameter MUST be present in a key object."
COSE_NO_OPTIONAL = (
    "#sctn-attested-credential-data: the COSE_Key-encoded credential public key MUST contain the \"alg\" parameter "
    "and MUST NOT contain any other OPTIONAL parameters — a requirement on authenticators, not a verification "
    "step of the RP: fidoconf's own hardening."
)
COSE_OKP_CRV_X25519 = "#sctn-alg-identifier: Keys with algorithm EdDSA (-8) MUST specify Ed25519 (6) as the crv parameter."
CREDENTIAL_CLIENT_DATA_STD_BASE64 = (
    "Base64url Encoding (#sctn-dependencies) is the URL-safe alphabet with all trailing '=' characters omitted; "
    "accepting another spelling of the same bytes is not a verification failure: fidoconf's own hardening."
)
CREDENTIAL_TRANSPORTS_STRING = (
    "transports is a sequence<DOMString> (#dom-authenticatorattestationresponse-gettransports); no step asks the "
    "RP to police it: fidoconf's own hardening."
)
CTAP2_CANONICAL = (
    "CTAP2 canonical CBOR (definite lengths, no duplicate keys, minimal encoding) binds authenticators; no "
    "WebAuthn verification step asks the RP to refuse other encodings: fidoconf's own hardening."
)
DUPLICATE_KEYS = (
    "RFC 8949 §5.6: a map with duplicate keys may be well-formed but is not valid (same value twice: no ambiguity "
    "left to exploit): fidoconf's own hardening."
)
EC2_COORDINATE_LENGTH = (
    "RFC 9053 §7.1.1 (EC2 keys): x: … the x-coordinate … Leading zero octets MUST be preserved (the coordinate is "
    "exactly the curve's field size long)."
)
EC2_REQUIRED_PARAMS = (
    "RFC 9053 §7.1.1 (EC2 public keys): crv, x and y are REQUIRED parameters (Table 20); an EC2 key without one "
    "is no key."
)
ECDSA_DER = (
    "#sctn-signature-attestation-types: For COSEAlgorithmIdentifier -7 (ES256), and other ECDSA-based algorithms, "
    "the sig value MUST be encoded as an ASN.1 DER Ecdsa-Sig-Value, as defined in [RFC3279] section 2.2.3."
)
ECDSA_KTY_EC2 = (
    "RFC 9053 §2.1 (ECDSA): When using a COSE key for this algorithm, the following checks are made: The \"kty\" "
    "field MUST be present, and it MUST be \"EC2\"."
)
EC_POINT_VALID = (
    "SEC 1 §3.2.2.1: a public key is valid only if it is a point on the curve other than the point at infinity "
    "with coordinates in the field; WebAuthn has no verification step for it: fidoconf's own hardening (a key "
    "that cannot be valid is stored and can never verify)."
)
ED25519_KEY = (
    "RFC 9864 / RFC 8037: an Ed25519 key has crv Ed25519 and a 32-byte x; no WebAuthn step names -19: fidoconf's "
    "own hardening."
)
ES256_P256 = (
    "#sctn-alg-identifier: Keys with algorithm ES256 (-7) MUST specify P-256 (1) as the crv parameter and MUST "
    "NOT use the compressed point form."
)
FMT_MATCH = PROCEDURE + (
    "Determine the attestation statement format by performing a USASCII case-sensitive match on fmt against the "
    "set of supported WebAuthn Attestation Statement Format Identifier values."
)
ID_IS_RAW_ID = (
    "id is the base64url encoding of rawId, and rawId the credential ID the attestation covers "
    "(#dom-publickeycredential-rawid); no registration step compares them: fidoconf's own hardening (go-webauthn "
    "#763)."
)
MLDSA_PUB = (
    "ML-DSA COSE keys (draft-ietf-cose-dilithium) carry pub of the parameter set's size; the draft is not yet "
    "normative for RPs: fidoconf's own hardening."
)
NESTING_LIMIT = "No WebAuthn structure nests this deep; a nesting limit protects the parser: fidoconf's own hardening."
NONE_EMPTY_STMT = (
    "fmt none: attStmt is an empty map (attStmtType = ( fmt: \"none\", attStmt: emptyMap )); the none verification "
    "procedure has no syntax step: fidoconf's own hardening."
)
ONE_CBOR_ITEM = (
    "Nothing follows the attestation object in its field: one CBOR item (RFC 8949 §5.1 lets a decoder be called "
    "on a CBOR sequence; WebAuthn names one item): fidoconf's own hardening."
)
OPTIONAL_MEMBERS = PROCEDURE + (
    "the transports, clientExtensionResults and other members the registration steps do not read are optional: a "
    "credential that passes every step is registered."
)
PACKED_CERT_AAGUID_NOT_OCTET_STRING = (
    "If attestnCert contains an extension with OID 1.3.6.1.4.1.45724.1.1.4 (id-fido-gen-ce-aaguid) verify that "
    "the value of this extension matches the aaguid in authenticatorData (the extension's value is the AAGUID as "
    "an OCTET STRING, #sctn-packed-attestation-cert-requirements)."
)
PACKED_SELF_ALG = "packed self attestation: Validate that alg matches the algorithm of the credentialPublicKey in authData."
PACKED_SYNTAX = (
    "packed verification procedure: Verify that attStmt is valid CBOR conforming to the syntax defined above and "
    "perform CBOR decoding on it to extract the contained fields. (packedStmtFormat = { alg, sig, x5c } or { alg, "
    "sig }; ecdaaKeyId was removed in Level 2.)"
)
RSA_EXPONENT = (
    "RFC 8017 §3.1: the RSA public exponent e is an integer between 3 and n - 1 satisfying GCD(e, λ(n)) = 1; "
    "WebAuthn has no verification step for it: fidoconf's own hardening."
)
RSA_N_AND_E = "RFC 8230 §4: for an RSA public key, the 'n' and 'e' parameters MUST be present."
SIG_OVER_DATA = (
    "Verify that sig is a valid signature over the concatenation of authenticatorData and clientDataHash using "
    "the credential public key with alg."
)
TRUST_ASSESSMENT = (
    "Assess the attestation trustworthiness using the outputs of the verification procedure: ... use the X.509 "
    "certificates returned as the attestation trust path from the verification procedure to verify that the "
    "attestation public key either correctly chains up to an acceptable root certificate, or is itself an "
    "acceptable certificate. Whether an attestation whose path cannot be validated is refused or kept as "
    "untrusted is RP policy (#sctn-registering-a-new-credential step 25); the target's choice is recorded."
)
U2F_SIG_OVER_PACKED_DATA = (
    "Verify the sig using verificationData and the certificate public key per section 4.1.4 of [SEC1] with "
    "SHA-256 as the hash function (verificationData = 0x00 || rpIdHash || clientDataHash || credentialId || "
    "publicKeyU2F)."
)
U2F_SYNTAX = (
    "fido-u2f verification procedure: Verify that attStmt is valid CBOR conforming to the syntax defined above "
    "and perform CBOR decoding on it to extract the contained fields. (attStmt: { x5c: [ attestnCert: bytes ], "
    "sig: bytes })"
)
VALID_CLIENT_DATA_BOM = PROCEDURE + (
    "Let JSONtext be the result of running UTF-8 decode on the value of response.clientDataJSON (UTF-8 decode "
    "strips a leading byte order mark)."
)
VALID_CLIENT_DATA_EXTRA_MEMBER = PROCEDURE + (
    "Let C … be the result of running an implementation-specific JSON parser on JSONtext "
    "(#clientdatajson-verification: the client data is parsed; members it does not know are ignored)."
)
VALID_CLIENT_DATA_TOKEN_BINDING_SUPPORTED = "tokenBinding {status: supported}: L3 dropped the tokenBinding verification step; recorded, not judged."
VALID_FLAGS_RFU_BITS = (
    "Bits 1 and 5 of the flags are Reserved for future use (RFU1, RFU2); WebAuthn does not say how an RP treats "
    "them: recorded, not judged."
)

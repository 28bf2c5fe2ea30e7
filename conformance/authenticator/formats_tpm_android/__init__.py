"""Generated tpm and android-key credentials: a valid one, or exactly one defect, re-signed.

`tpm.statement` and `android_key.statement` are the virtual authenticator's statement builders for these two
formats (registered in `formats.FORMATS`; `authenticator.make_credential` runs the stages around them). They
carry structures of their own (TPMT_PUBLIC and TPMS_ATTEST signed by an AIK whose certificate has TPM-specific
requirements; an Android keystore certificate carrying the KeyDescription), shaped by a shape (TpmShape,
AndroidKeyShape) passed as the build's `statement_options`.

`tpm_cases` and `android_key_cases` list every check of #sctn-tpm-attestation, #sctn-tpm-cert-requirements and
#sctn-android-key-attestation broken once; `vectors.vectors()` returns them as vector files
(schemas/vectors/registration-vector.schema.json), and

    python -m fidoconf.conformance.authenticator.formats_tpm_android --out vectors/generated [--check]

writes <out>/<fmt>/<id>.json. Every byte is a function of the case: same code, same files.
`vectors.bench_credentials` makes fresh valid credentials for `fidoconf bench` (tpm RS256, android-key ES256).
"""

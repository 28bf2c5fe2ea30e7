"""Generated android-safetynet, apple and compound credentials: a valid one, or exactly one defect, re-signed.

Each module's `statement(parts, edits)` is the virtual authenticator's statement builder for its format
(registered in `formats.FORMATS`; `authenticator.make_credential` runs the stages around it, and passes the
build's `statement_options` as the edits). These formats need certificates and signatures of their own kind (a
SafetyNet JWS under an attest.android.com certificate, an Apple-style anonymization certificate carrying the
nonce extension, an array of statements). One module per format holds its builder and its cases.

Each case names one defect and the stage it edits; everything signed after that stage is signed again, so the
defect is the only thing wrong. `vectors.vectors()` returns the cases as vector files
(schemas/vectors/registration-vector.schema.json), `vectors.files()` renders them as generate.py does, and

    python -m fidoconf.conformance.authenticator.formats_safetynet_apple_compound --out vectors/generated

writes them as <out>/<fmt>/<id>.json. Every byte is a function of the case: same code, same files.
"""

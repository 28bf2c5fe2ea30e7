"""`python -m fidoconf.conformance.authenticator.formats_tpm_android --out DIR [--check]`."""

from .vectors import main

raise SystemExit(main())

"""`python -m conformance.authenticator.formats_tpm_android --out DIR [--check]`."""

from . import main

raise SystemExit(main())

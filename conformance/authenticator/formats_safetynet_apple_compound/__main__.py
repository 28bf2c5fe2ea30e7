"""`python -m fidoconf.conformance.authenticator.formats_safetynet_apple_compound --out DIR`."""

from .vectors import main

raise SystemExit(main())

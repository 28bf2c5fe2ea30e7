"""pytest11 entry point of fidoconf. The suite's options and fixtures land here (conformance suite issue)."""

"""fidoconf conformance suite: pytest plugin, targets, profiles, virtual authenticator, CLI."""

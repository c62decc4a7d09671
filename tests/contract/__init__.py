"""Contract tests: our requests and parsers against Akool's documentation, not our fake."""

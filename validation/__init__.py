"""Release validation: provisioning, stack orchestration, suites, gates, reports, the CLI."""

"""pytest plugin (registered through `pytest11`): real Postgres and Redis fixtures."""

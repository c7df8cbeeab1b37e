"""The fuzz tests share the resilience tests' fixtures (a module database, a scripted Graph API)."""

from tests.resilience.conftest import module_database, module_graph  # noqa: F401

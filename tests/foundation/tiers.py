"""The tiers that start servers on this machine, as pytest params: each contract test runs on both."""

from __future__ import annotations

import pytest

from validation.services.binaries import find_postgres, find_redis_server

_LOCAL_MISSING = find_postgres() is None or find_redis_server() is None

SERVER_TIERS = [
    pytest.param(
        "local",
        marks=pytest.mark.skipif(
            _LOCAL_MISSING,
            reason="local tier needs initdb/postgres and redis-server (apt-get install postgresql redis-server)",
        ),
    ),
    "embedded",
]

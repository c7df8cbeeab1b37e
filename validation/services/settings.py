"""Provisioning settings, read from HOTELERO_* environment variables."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServicesSettings(BaseSettings):
    """How Postgres and Redis are provisioned; every field is overridable as HOTELERO_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="HOTELERO_", extra="ignore")

    # Tier: auto | docker | local | embedded | external (validated by `parse_tier` for a one-line error).
    services: str = "auto"
    # External tier: URLs of servers someone else runs; nothing is started or stopped.
    database_url: str | None = None
    redis_url: str | None = None

    # Docker tier (Testcontainers). Images are pinned; override to test another major version.
    postgres_image: str = "postgres:16-alpine"
    redis_image: str = "redis:7-alpine"
    # "bridge" maps the container port to a random host port; "host" shares the host network (CI engines).
    docker_network_mode: str = "bridge"
    # Host network only: the port the server listens on (0 = a free port picked on 127.0.0.1).
    docker_postgres_port: int = 0
    docker_redis_port: int = 0
    # Wait strategy: "connect" (a real client connects from this host) or "none" (caller waits).
    docker_wait: str = "connect"
    docker_wait_timeout: float = 90.0

    # Local tier: server binaries on PATH or under /usr/lib/postgresql/*/bin; when set, only these
    # directories (os.pathsep-separated; empty hides every local binary, e.g. to try the embedded tier).
    local_bin_path: str | None = None
    local_startup_timeout: float = 30.0
    # Postgres refuses to run as root: when root, the server (and the embedded tier's Redis) runs as
    # this user (created if missing).
    local_postgres_user: str = "hotelero-pg"
    local_postgres_max_connections: int = 200
    # Where local temp dirs go (default: /dev/shm when it has >= 1 GiB free, else the system temp dir);
    # must be traversable by the Postgres user.
    local_tmp_dir: str | None = None

    # External tier: how long a reachability check may take.
    external_timeout: float = 3.0


def load_settings() -> ServicesSettings:
    """Settings from the environment; a bad value is a one-line ServiceError naming the variable."""
    from pydantic import ValidationError

    from validation.services.handle import ServiceError

    try:
        return ServicesSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        raise ServiceError(f"HOTELERO_{field.upper()}: {first['msg']} (got {first.get('input')!r})") from None

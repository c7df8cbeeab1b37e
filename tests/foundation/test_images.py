"""What `hotelero images build` puts in its images, checked without an engine (the docker tests run them)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from validation.images import missing_requirements, postgres_rootfs, redis_rootfs
from validation.rootfs import shared_libraries
from validation.services.embedded import find_embedded_postgres, find_embedded_redis


def _members(fs: object) -> dict[str, tarfile.TarInfo]:
    buffer = io.BytesIO()
    fs.tar(buffer)  # type: ignore[attr-defined]
    buffer.seek(0)
    with tarfile.open(fileobj=buffer) as archive:
        return {m.name: m for m in archive.getmembers()}


def test_postgres_image_holds_the_servers_psql_their_libraries_a_shell_and_the_entrypoint() -> None:
    binaries = find_embedded_postgres()
    assert binaries is not None
    members = _members(postgres_rootfs(binaries))
    for program in ("initdb", "postgres", "psql", "pg_isready"):
        assert members[f"opt/embedded_postgres/pginstall/bin/{program}"].mode == 0o755
    assert any(name.startswith("opt/embedded_postgres.libs/libpq") for name in members)
    assert "opt/embedded_postgres/pginstall/share/postgres.bki" in members
    assert not any("/include/" in name for name in members)
    # Every library the programs load is in the image at the path the loader asks for.
    for lib in shared_libraries(binaries.postgres):
        assert str(lib).lstrip("/") in members
    assert "bin/sh" in members and "usr/local/bin/docker-entrypoint.sh" in members
    data = members["var/lib/postgresql/data"]
    assert (data.uid, data.mode) == (999, 0o700)
    assert sum(m.size for m in members.values()) < 60_000_000


def test_redis_image_answers_to_redis_server_through_the_valkey_binary() -> None:
    server = find_embedded_redis()
    assert server is not None
    members = _members(redis_rootfs(server))
    assert members["usr/local/bin/valkey-server"].isfile()
    link = members["usr/local/bin/redis-server"]
    assert link.issym() and link.linkname == "valkey-server"
    assert "etc/passwd" in members and members["data"].uid == 998


def _wheel(directory: Path, name: str, requires: list[str]) -> None:
    with zipfile.ZipFile(directory / f"{name}-1.0-py3-none-any.whl", "w") as archive:
        lines = [f"Name: {name}", "Version: 1.0", *(f"Requires-Dist: {r}" for r in requires)]
        archive.writestr(f"{name}-1.0.dist-info/METADATA", "\n".join(lines) + "\n")


def test_wheelhouse_gaps_are_found_for_the_image_python_not_the_host_one(tmp_path: Path) -> None:
    # redis-py's real marker: async-timeout only below 3.11.3 (Debian bookworm's python3 is 3.11.2).
    _wheel(tmp_path, "redis", ['async-timeout>=4.0.3; python_full_version < "3.11.3"', "packaging"])
    _wheel(tmp_path, "packaging", ['pytest; extra == "test"'])
    assert missing_requirements(tmp_path, "3.11.2") == ["async-timeout>=4.0.3"]
    assert missing_requirements(tmp_path, "3.11.7") == []

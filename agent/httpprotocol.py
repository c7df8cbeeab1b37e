"""The served HTTP protocol: the request deadline (agent/bodytimeout.py) over the one-write protocol (hotpath/)."""

from __future__ import annotations

from agent.bodytimeout import RequestDeadlineProtocol
from hotpath.protocol import OneWriteProtocol


class AgentHttpProtocol(RequestDeadlineProtocol, OneWriteProtocol):
    """What `hotelero agent` serves with: the request deadline, and one write per fixed-length response."""

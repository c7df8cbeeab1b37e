"""A scripted loopback HTTP server for client tests: reads whole requests, answers exact bytes, in chunks if asked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from hotpath.client import Origin

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"

# A scripted server: given the request bytes and the connection's request count, what to write (None: say nothing).
Script = Callable[[bytes, int], bytes | None]


@dataclass
class RawServer:
    """A loopback TCP server that reads whole requests and answers with exact bytes, in chunks if asked."""

    script: Script
    chunk: int = 0
    close_after: bool = False
    drop_on: int = 0  # the request (counted per connection) answered by hanging up, say the receiver's idle timeout
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook?x=1"
        self.origin, _ = Origin.split(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for w in self.writers:
            w.close()
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        n = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                n += 1
                if n == self.drop_on:
                    writer.close()
                    return
                answer = self.script(request, n)
                if answer is None:
                    continue
                step = self.chunk or len(answer)
                for i in range(0, len(answer), step):
                    writer.write(answer[i : i + step])
                    await writer.drain()
                if self.close_after:
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

"""`hotelero agent`: run the receptionist, its worker alone, or its migrations (settings from env / .env)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import tempfile

import typer

app = typer.Typer(help="Run the receptionist service (webhook, worker, admin API); settings from AGENT_* / .env.")


def _settings():  # noqa: ANN202 - pydantic errors become a readable exit
    from pydantic import ValidationError

    from agent.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        typer.echo(f"invalid agent settings:\n{exc}\nSee .env.example for every AGENT_* variable.", err=True)
        raise typer.Exit(2) from exc


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    web: int = typer.Option(None, min=1, max=16, help="HTTP server processes [AGENT_WEB_WORKERS, default 1]."),
    workers: int = typer.Option(
        None,
        min=0,
        max=16,
        help="Separate worker processes under a supervisor that restarts them; 0 runs the worker inside each web"
        " process [AGENT_WORKER_PROCESSES, default 0]. On 2 cores: --web 1 --workers 1 (docs/agent.md).",
    ),
) -> None:
    """Run the agent: webhook, admin API and the worker (in-process, or --workers M separate processes)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from agent.app import create_app
    from agent.httpprotocol import AgentHttpProtocol
    from agent.logs import configure
    from agent.webhook import WebhookFastPath

    settings = _settings()
    configure(settings.log_level)
    web = web or settings.web_workers
    workers = settings.worker_processes if workers is None else workers
    if workers > 0:
        from agent.migrate import apply
        from agent.supervisor import Layout, run_layout

        if settings.migrate_on_start:
            asyncio.run(apply(settings.database_url))  # once here, not in every child
        typer.echo(
            f"hotelero agent on http://{host}:{port}: {web} web process(es) and {workers} worker process(es)", err=True
        )
        raise typer.Exit(run_layout(Layout(web=web, workers=workers, host=host, port=port)))
    workers = web
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Set before any server process imports prometheus_client, so /metrics sums every process.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hotelero-metrics-")
    typer.echo(f"hotelero agent on http://{host}:{port} (webhook /webhooks/whatsapp, admin /admin)", err=True)
    # Several processes need an import string; each builds its app from the same environment.
    target = "agent.webhook:served_app" if workers > 1 else WebhookFastPath(create_app(settings))
    uvicorn.run(
        target,
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        # Nothing reads the client address: uvicorn's X-Forwarded-For rewriting was a middleware call per request.
        proxy_headers=False,
        loop="uvloop",
        # httptools, plus a deadline on request headers (header-only connections are closed) and one write per response.
        http=AgentHttpProtocol,
        timeout_graceful_shutdown=15,
    )


@app.command("worker")
def worker_command() -> None:
    """Run only the worker (no HTTP); start several to share one database."""
    from agent.app import build_responder, open_resources
    from agent.clock import SystemClock
    from agent.logs import configure
    from agent.migrate import apply
    from agent.worker import Worker
    from hotpath.heap import settle_heap

    settings = _settings()
    configure(settings.log_level)

    async def run() -> None:
        if settings.migrate_on_start:
            await apply(settings.database_url)
        async with open_resources(settings) as (pool, redis, graph):
            clock = SystemClock()
            worker = Worker(settings, pool, redis, graph, build_responder(settings, redis, clock), clock)
            loop = asyncio.get_running_loop()
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            worker.start()
            settle_heap()
            typer.echo(f"hotelero agent worker {worker.owner} running", err=True)
            await stop.wait()
            await worker.stop()
            close = getattr(worker.responder, "close", None)  # the receptionist's QloApps session
            if close is not None:
                await close()

    import uvloop

    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(run())  # the event loop the web processes run (uvicorn --loop uvloop)


@app.command("migrate")
def migrate_command() -> None:
    """Apply pending database migrations (safe to run from several replicas at once)."""
    from agent.migrate import apply

    settings = _settings()
    try:
        applied = asyncio.run(apply(settings.database_url))
    except Exception as exc:
        shown = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", settings.database_url)  # never print the password
        typer.echo(f"migration failed: {exc}\nCheck AGENT_DATABASE_URL ({shown}).", err=True)
        raise typer.Exit(1) from exc
    typer.echo("applied: " + ", ".join(applied) if applied else "schema is up to date")

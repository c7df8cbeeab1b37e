"""`hotelero sim whatsapp`: run the WhatsApp Cloud API simulator."""

from __future__ import annotations

from pathlib import Path

import typer
import uvicorn

from simulators.whatsapp.config import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_SECRET,
    DEFAULT_VERIFY_TOKEN,
    BusinessNumber,
    SimSettings,
    load_config,
)

# Secrets come from the environment (or `app_secret:` etc. in --config): argv is readable by every user via `ps`.
SECRET_ENV = {
    "app_secret": "WHATSAPP_SIM_APP_SECRET",
    "verify_token": "WHATSAPP_SIM_VERIFY_TOKEN",
    "access_token": "WHATSAPP_SIM_ACCESS_TOKEN",
}


def main(
    ctx: typer.Context,
    webhook_url: str = typer.Option(
        None,
        "--webhook-url",
        help="The business webhook (e.g. the agent's "
        "http://127.0.0.1:8080/webhooks/whatsapp). Without it nothing is delivered.",
    ),
    app_secret: str = typer.Option(
        None,
        "--app-secret",
        envvar=SECRET_ENV["app_secret"],
        help=f"Signs X-Hub-Signature-256 (default {DEFAULT_APP_SECRET}); set it in the environment, not here",
    ),
    verify_token: str = typer.Option(
        None,
        "--verify-token",
        envvar=SECRET_ENV["verify_token"],
        help=f"hub.verify_token (default {DEFAULT_VERIFY_TOKEN}); set it in the environment, not here",
    ),
    access_token: str = typer.Option(
        None,
        "--access-token",
        envvar=SECRET_ENV["access_token"],
        help=f"Bearer token (default {DEFAULT_ACCESS_TOKEN}); set it in the environment, not here",
    ),
    phone_number_id: str = typer.Option(None, "--phone-number-id", help="The (first) business phone number id"),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8082, "--port"),
    config: Path = typer.Option(
        None, "--config", help="YAML file: numbers, templates, delivery, policies", exists=True, dir_okay=False
    ),
    no_rate_limits: bool = typer.Option(False, "--no-rate-limits", help="Disable 130429 and 131056 (load tests)"),
    throughput_mps: float = typer.Option(None, "--throughput-mps", help="Per-number limit (Meta: 80, or 1000)"),
    window_mode: str = typer.Option(None, "--window-mode", help="async (Meta's usual) or sync 131047"),
    retry_time_scale: float = typer.Option(None, "--retry-time-scale", help="Compress the 7-day retry schedule"),
    webhook_timeout: float = typer.Option(None, "--webhook-timeout", help="Seconds before an attempt times out"),
    webhook_concurrency: int = typer.Option(None, "--webhook-concurrency", help="Webhook POSTs in flight (default 64)"),
    log_level: str = typer.Option("warning", "--log-level"),
) -> None:
    """Run the WhatsApp Cloud API simulator (Graph API + signed webhooks + /_sim/ control plane)."""
    from hotpath.heap import settle_heap
    from simulators.whatsapp.app import served_app
    from simulators.whatsapp.server import uvicorn_config

    for name, env in SECRET_ENV.items():
        source = ctx.get_parameter_source(name)
        if getattr(source, "name", "") == "COMMANDLINE":  # typer may carry its own click: compare by name
            flag = "--" + name.replace("_", "-")
            typer.echo(
                f"warning: {flag} on the command line is visible to every user (ps, /proc); "
                f"set {env} in the environment or `{name}:` in the --config file instead",
                err=True,
            )

    try:
        settings = load_config(config) if config else SimSettings()
    except (ValueError, OSError) as exc:
        typer.echo(f"error: cannot load {config}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if webhook_url is not None:
        settings.webhook_url = webhook_url
    if app_secret is not None:
        settings.app_secret = app_secret
    if verify_token is not None:
        settings.verify_token = verify_token
    if access_token is not None:
        settings.access_token = access_token
    if phone_number_id is not None:
        first = settings.numbers[0]
        settings.numbers[0] = BusinessNumber(**{**first.model_dump(), "phone_number_id": phone_number_id})
    if no_rate_limits:
        settings.policies.rate_limit_enabled = False
        settings.policies.pair_limit_enabled = False
    if throughput_mps is not None:
        for n in settings.numbers:
            n.throughput_mps = throughput_mps
    if window_mode is not None:
        if window_mode not in ("async", "sync"):
            typer.echo("error: --window-mode must be async or sync", err=True)
            raise typer.Exit(2)
        settings.policies.window_mode = window_mode  # type: ignore[assignment]
    if retry_time_scale is not None:
        settings.delivery.retry.time_scale = retry_time_scale
    if webhook_timeout is not None:
        settings.delivery.timeout_s = webhook_timeout
    if webhook_concurrency is not None:
        settings.delivery.concurrency = webhook_concurrency
    base = f"http://{host}:{port}"
    app = served_app(settings, base_url=base)
    typer.echo(f"WhatsApp Cloud API simulator on {base}")
    typer.echo(f"  Graph API:        {base}/v21.0/<phone_number_id>/messages (any vNN.N)")
    for n in settings.numbers:
        typer.echo(f"  phone_number_id:  {n.phone_number_id} (display {n.display_phone_number}, WABA {n.waba_id})")
    typer.echo(f"  access token:     {settings.access_token}")
    typer.echo(f"  app secret:       {settings.app_secret}")
    typer.echo(f"  verify token:     {settings.verify_token}")
    typer.echo(f"  webhook url:      {settings.webhook_url or '(none: deliveries are only journaled)'}")
    typer.echo(f"  control plane:    {base}/_sim/health  (docs/whatsapp-simulator.md)")
    settle_heap()  # the app is built; what it holds lives as long as the process
    uvicorn.Server(uvicorn_config(app, host, port, log_level)).run()

"""`hotelero sim qloapps`: run the QloApps webservice simulator."""

from __future__ import annotations

from pathlib import Path

import typer


def main(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on"),
    port: int = typer.Option(8081, "--port", help="TCP port"),
    seed: int = typer.Option(0, "--seed", help="Seed for generated hotels, references and fault randomness"),
    hotels: int = typer.Option(0, "--hotels", min=0, max=500, help="Add N Faker hotels after the demo hotel"),
    qloapps_version: str = typer.Option("1.7.0", "--qloapps-version", help="1.7.0 (default) or 1.6.1"),
    strict_occupancy: bool = typer.Option(
        False, "--strict-occupancy", help="Refuse bookings over a room type's max_* (QloApps' API does not check)"
    ),
    strict_dates: bool = typer.Option(
        False, "--strict-dates", help="Refuse bookings that check in before today (QloApps' API does not check)"
    ),
    no_phone_required: bool = typer.Option(
        False, "--no-phone-required", help="PS_ONE_PHONE_AT_LEAST=0: customers and bookings without a phone pass"
    ),
    fixture: Path = typer.Option(
        None, "--fixture", exists=True, dir_okay=False, help="JSON/YAML file replacing the demo seed"
    ),
    log_level: str = typer.Option("warning", "--log-level"),
) -> None:
    """Run the QloApps webservice simulator (/api/ as QloApps 1.7.0 or 1.6.1, /_sim/ control plane)."""
    import uvicorn

    from hotpath.heap import settle_heap
    from simulators.qloapps.app import create_app
    from simulators.qloapps.config import DEFAULT_API_KEY, VERSIONS, SimConfig
    from simulators.qloapps.server import uvicorn_config

    if qloapps_version not in VERSIONS:
        typer.echo(f"error: --qloapps-version must be one of {', '.join(VERSIONS)}", err=True)
        raise typer.Exit(2)
    cfg = SimConfig(
        qloapps_version=qloapps_version,
        strict_occupancy=strict_occupancy,
        strict_dates=strict_dates,
        phone_required=not no_phone_required,
        seed=seed,
        hotels=hotels,
        fixture=fixture,
    )
    try:
        app = create_app(cfg)
    except (ValueError, OSError) as exc:
        typer.echo(f"error: cannot load the seed{f' from {fixture}' if fixture else ''}: {exc}", err=True)
        raise typer.Exit(2) from exc
    base = f"http://{host}:{port}"
    typer.echo(f"QloApps {qloapps_version} webservice simulator on {base}")
    typer.echo(f"  webservice:     {base}/api/  (Basic auth: the key as user name, or ?ws_key=)")
    typer.echo(f"  API key:        {cfg.keys[0].key if cfg.keys else DEFAULT_API_KEY}")
    typer.echo(f"  hotels:         {len(app.backend.hotels)} ({'fixture' if fixture else 'demo'}"
               f"{f' + {hotels} generated, seed {seed}' if hotels else ''})")  # fmt: skip
    typer.echo(f"  strictness:     occupancy {'checked' if strict_occupancy else 'not checked (as QloApps)'}, "
               f"past check-in {'refused' if strict_dates else 'accepted (as QloApps)'}, "
               f"phone {'required (as a default install)' if not no_phone_required else 'optional'}")  # fmt: skip
    typer.echo(f"  control plane:  {base}/_sim/health  (docs/qloapps-simulator.md)")
    settle_heap()  # the seed is built; it lives as long as the process
    uvicorn.Server(uvicorn_config(app, host, port, log_level)).run()

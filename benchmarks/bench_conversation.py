"""Figures for the receptionist: golden-conversation pass rate and per-turn latency of full booking conversations.

Not a test: it prints figures. It brings up its own stack (both simulators, the agent with the receptionist,
Postgres and Redis through the foundation's tiers) unless URLs are given.

    .venv/bin/python benchmarks/bench_conversation.py [--bookings 20] [--database-url ... --redis-url ...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from qualitygates.stats import percentile
from validation.conversations_runner import run_conversations, summarize
from validation.stack import StackOptions, run_stack

MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
             "noviembre", "diciembre")  # fmt: skip


def booking_files(out: Path, n: int) -> list[Path]:
    """n full booking conversations (ask dates → guests → pick from list → name → email → confirm), distinct dates."""
    today = datetime.now(ZoneInfo("Europe/Madrid")).date()
    paths = []
    # Past every date the golden files fill or book (they stay within a year), so no run sees their inventory.
    ci: date = today + timedelta(days=400)
    for i in range(n):
        if (ci + timedelta(days=2)).month != ci.month:
            ci = date(ci.year + (ci.month == 12), ci.month % 12 + 1, 1)  # keep each stay inside one month
        co = ci + timedelta(days=2)
        # With the year: a date without one is its next occurrence, which may be a date the golden files fill.
        when = f"del {ci.day} al {co.day} de {MONTHS_ES[ci.month - 1]} de {ci.year}"
        ci = ci + timedelta(days=3)
        conv = {
            "language": "es",
            "flow": "book",
            "reference_date": today.isoformat(),
            "turns": [
                {"text": f"quiero reservar una habitación {when}", "expect": {"contains": ["personas"]}},
                {"text": "2 adultos", "expect": {"rows": ["General Rooms"]}},
                {"list": "General Rooms", "expect": {"contains": ["nombre"]}},
                {"text": "Bench Guest", "expect": {"contains": ["email"]}},
                {"text": f"bench{i}.{{{{run}}}}@example.com", "expect": {"buttons": ["Confirmar"]}},
                {"button": "Confirmar", "expect": {"contains": ["Reserva confirmada"]}},
            ],
        }
        path = out / f"bench_booking_{i:03d}.yaml"
        path.write_text(yaml.safe_dump(conv, allow_unicode=True))
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bookings", type=int, default=20, help="full booking conversations to time")
    ap.add_argument("--concurrency", type=int, default=1, help="booking conversations at once (1 = no contention)")
    ap.add_argument("--database-url")
    ap.add_argument("--redis-url")
    ap.add_argument("--qloapps-url", help="use this QloApps (simulator) instead of starting one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        opts = StackOptions(
            out_dir=out,
            database_url=args.database_url,
            redis_url=args.redis_url,
            qloapps_url=args.qloapps_url,
            agent_env={"AGENT_RESPONDER": "receptionist", "AGENT_RATE_LIMIT_MESSAGES": "200"},
        )
        with run_stack(opts, on_step=lambda m: print(f"[stack] {m}", flush=True)) as s:
            creds = s.credentials
            golden = run_conversations(
                None, s.whatsapp_url, s.qloapps_url, creds.qloapps_key, s.agent_url, creds.admin_token
            )
            passed = sum(r.passed for r in golden)
            if passed < len(golden):
                print(summarize([r for r in golden if not r.passed]))
            print(f"golden conversations: {passed}/{len(golden)} passed ({100 * passed / len(golden):.1f}%)")
            files = booking_files(out, args.bookings)
            runs = run_conversations(
                files,
                s.whatsapp_url,
                s.qloapps_url,
                creds.qloapps_key,
                s.agent_url,
                creds.admin_token,
                concurrency=args.concurrency,
            )
    ok = [r for r in runs if r.passed]
    print(f"booking conversations: {len(ok)}/{len(runs)} completed")
    if len(ok) < len(runs):
        print(summarize([r for r in runs if not r.passed]))
    per_turn: dict[int, list[float]] = {}
    for r in ok:
        for t in r.turns:
            if t.latency_ms is not None:
                per_turn.setdefault(t.index, []).append(t.latency_ms)
    labels = ["ask dates", "guests → search", "pick room", "name", "email → summary", "confirm → book"]
    print(f"{'turn':<22}{'n':>4}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for idx in sorted(per_turn):
        v = per_turn[idx]
        print(f"{labels[idx]:<22}{len(v):>4}{statistics.median(v):>10.1f}{percentile(v, 95):>10.1f}{max(v):>10.1f}")
    allv = [x for v in per_turn.values() for x in v]
    if allv:
        print(f"{'all turns':<22}{len(allv):>4}{statistics.median(allv):>10.1f}{percentile(allv, 95):>10.1f}")
        whole = [sum(t.latency_ms or 0 for t in r.turns) for r in ok]
        print(f"whole conversation (sum of 6 turn latencies): p50 {statistics.median(whole):.0f} ms")


if __name__ == "__main__":
    main()

"""Locust scenarios for hotelero: virtual guests talking to the agent through the WhatsApp simulator.

Run with the web UI:   locust -f loadtests/locustfile.py --host http://127.0.0.1:8082
Headless:              hotelero load --shape steady --rate 2.8 --duration 60s

Open model: one generator per Locust process schedules guest messages at t0 + k/rate and hands each one to a
greenlet pool, so a slow agent shows up as latency, never as less load. Every message gives two samples:
`ack` (the webhook POST as the simulator timed it) and `e2e:<flow>` (intended send -> first reply at the
simulator). Every sample is also written to a JSONL file (docs/load.md) and a summary JSON closes the run.
"""

from __future__ import annotations

import collections
import json
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import gevent
import psutil
from faker import Faker
from gevent.event import Event
from gevent.pool import Pool
from locust import LoadTestShape, User, events, task
from locust.runners import MasterRunner, WorkerRunner

from hotpath.heap import settle_heap
from loadtests.analysis import CpuPoint, Sample, summarize
from loadtests.flows import Expectation, Script, ScriptBook, load_golden, render, reply_options, reply_text
from loadtests.settings import LoadSettings, resolve
from loadtests.shapes import SHAPES, Segment
from loadtests.simclient import SimClient, SimError

log = logging.getLogger("hotelero.load")

SAMPLES_MSG = "hotelero_samples"
STOP_MSG = "hotelero_stop"
FAKER_LOCALES = {"es": "es_ES", "en": "en_GB"}
COUNTRY_CODES = {"es": "34", "en": "44"}
# Guest names are drawn from this many Faker names per language, made once (Faker costs ~50 us a name).
NAMES_PER_LANGUAGE = 512


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any) -> None:
    parser.add_argument("--shape", choices=SHAPES, default="steady", help="smoke | steady | ramp | spike | soak")
    parser.add_argument("--rate", type=float, default=None, help="guest messages/s (default 2.78 = 10x the SLA)")
    parser.add_argument("--duration", type=str, default=None, help="schedule length, e.g. 60s, 10m (steady/soak/spike)")
    parser.add_argument("--step-duration", type=str, default=None, help="ramp: length of each step (default 20s)")
    parser.add_argument("--step-rate", type=float, default=None, help="ramp: increase per step (default: start rate)")
    parser.add_argument("--max-rate", type=float, default=None, help="ramp: highest rate tried (default 40x start)")
    parser.add_argument("--spike-factor", type=float, default=None, help="spike: multiple of --rate (default 10)")
    parser.add_argument("--spike-duration", type=str, default=None, help="spike: length of the spike (default 30s)")
    parser.add_argument("--warmup", type=str, default=None, help="first part of the run recorded but not judged")
    parser.add_argument("--reply-timeout", type=str, default=None, help="a reply later than this fails (default 10s)")
    parser.add_argument("--settle-ms", type=int, default=None, help="wait this long after a first reply for more")
    parser.add_argument("--mix", type=str, default=None, help="flow weights, e.g. faq=40,availability=30,...")
    parser.add_argument("--languages", type=str, default=None, help="language weights, e.g. es=60,en=40")
    parser.add_argument(
        "--gates-profile", type=str, default=None, help="take rate/duration/timeouts from a gates profile"
    )
    parser.add_argument("--gates-file", type=str, default=None, help="quality_gates.yaml path")
    parser.add_argument("--gate-p95-ms", type=float, default=None, help="ramp/spike: e2e p95 a step must stay under")
    parser.add_argument("--max-error-rate", type=float, default=None, help="ramp/spike: failure share a step may have")
    parser.add_argument(
        "--no-reply-check", action="store_true", default=False, help="accept any non-apology reply (echo agent)"
    )
    parser.add_argument("--seed", type=int, default=None, help="guest names, languages and flows follow this seed")
    parser.add_argument("--run-tag", type=int, default=None, help="3-digit tag inside every wa_id (default: random)")
    parser.add_argument("--conversations-dir", type=str, default=None, help="golden conversation YAML files")
    parser.add_argument("--samples-file", type=str, default=None, help="JSONL file with every sample")
    parser.add_argument("--summary-file", type=str, default=None, help="run summary JSON")
    parser.add_argument(
        "--stop-file", type=str, default=None, help="stop scheduling once this file exists (in-flight turns finish)"
    )
    parser.add_argument("--generators", type=int, default=1, include_in_web_ui=False, help="set by the master")


def _settings(environment: Any) -> LoadSettings:
    cached = getattr(environment, "_hotelero_settings", None)
    if cached is None:
        opts = vars(environment.parsed_options) if environment.parsed_options else {}
        cached = resolve(opts)
        if cached.run_tag is None:
            cached.run_tag = random.SystemRandom().randint(0, 999)
        environment._hotelero_settings = cached
    return cached


class Recorder:
    """On the local or master process: writes every sample, samples CPU, judges ramp steps, writes the summary."""

    def __init__(self, environment: Any) -> None:
        self.env = environment
        self.rows: list[Sample] = []
        self.pending: list[bytes] = []
        self.e2e_count = 0
        # Control-plane calls by kind, per process (worker node id, or "" for this one).
        self.calls: dict[str, dict[str, int]] = {}
        self.cpu: list[CpuPoint] = []
        self.worker_cpu: dict[str, tuple[float, float]] = {}
        self.handle: Any = None
        self.t0 = 0.0
        self.started_unix = 0.0
        self.stop_at_s: float | None = None
        self.schedule_started_unix: float | None = None
        self.judged_steps = 0
        self.greenlets: list[gevent.Greenlet] = []
        self.proc = psutil.Process()
        self.finished = False
        self.stop_file: Path | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        s = _settings(self.env)
        self.rows.clear()
        self.pending.clear()
        self.calls.clear()
        self.e2e_count = 0
        self.cpu.clear()
        self.t0 = time.monotonic()
        self.started_unix = time.time()
        self.stop_at_s = None
        self.schedule_started_unix = None
        self.judged_steps = 0
        self.finished = False
        self.stop_file = Path(s.stop_file) if s.stop_file else None
        path = Path(s.samples_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("wb")
        self.proc.cpu_percent(None)
        psutil.cpu_percent(None)
        self.greenlets = [gevent.spawn(self._sample_cpu), gevent.spawn(self._judge_loop)]

    def schedule_started(self, unix: float) -> None:
        """A generator's t0 on the wall clock: `intended_ms` counts from the earliest one."""
        if self.schedule_started_unix is None or unix < self.schedule_started_unix:
            self.schedule_started_unix = unix

    def add(self, row: Sample) -> None:
        self.rows.append(row)
        self.e2e_count += row.type == "e2e"
        self.pending.append(row.to_json())

    def write_pending(self) -> None:
        """Append the rows recorded since the last call to the sample file (once a second, and at the end)."""
        if self.handle is not None and self.pending:
            rows, self.pending = self.pending, []
            self.handle.write(b"\n".join(rows) + b"\n")
            # Readers (the validation runner) follow the sample file live.
            self.handle.flush()

    def on_worker_batch(self, environment: Any, msg: Any, **_kw: Any) -> None:
        data = msg.data or {}
        names = set(Sample.__dataclass_fields__)
        for raw in data.get("rows", []):
            self.add(Sample(**{k: v for k, v in raw.items() if k in names}))
        if data.get("t0_unix"):
            self.schedule_started(float(data["t0_unix"]))
        if "cpu" in data:
            self.worker_cpu[msg.node_id] = (time.monotonic(), float(data["cpu"]))
        if data.get("calls"):
            self.calls[msg.node_id] = dict(data["calls"])

    def _sample_cpu(self) -> None:
        while True:
            gevent.sleep(1.0)
            own = self.proc.cpu_percent(None) / 100.0
            now = time.monotonic()
            workers = [c for t, c in self.worker_cpu.values() if now - t < 3.0]
            total = own + sum(workers)
            self.cpu.append(CpuPoint(now - self.t0, round(total, 3), psutil.cpu_percent(None), max([own, *workers])))
            self.write_pending()
            started = self.schedule_started_unix
            if self.stop_at_s is None and started is not None and self.stop_file and self.stop_file.exists():
                log.info("stop file %s found; stopping the schedule", self.stop_file)
                self.stop(time.time() - started)

    def _judge_loop(self) -> None:
        """Ramp: stop scheduling once a finished step broke the gates (the knee is then behind us)."""
        s = _settings(self.env)
        if s.shape != "ramp":
            return
        schedule = s.schedule()
        gate_s = s.gates.slowest_limit_ms / 1000.0
        while self.stop_at_s is None:
            gevent.sleep(0.5)
            if self.schedule_started_unix is None:
                continue
            now = time.time() - self.schedule_started_unix
            for seg in schedule.segments[self.judged_steps :]:
                # Every reply within the gate has been recorded by step end + gate (+ flush slack).
                if now < seg.end_s + gate_s + 1.5:
                    break
                self.judged_steps += 1
                if self._step_broken(seg, s):
                    log.info("ramp: step %s broke the gates; stopping the schedule", seg.label)
                    self.stop(now)
                    return

    def _step_broken(self, seg: Segment, s: LoadSettings) -> bool:
        schedule = s.schedule()
        offered = schedule.expected_count(seg.end_s) - schedule.expected_count(seg.start_s)
        rows = [r for r in self.rows if r.type == "e2e" and seg.start_s * 1000 <= r.intended_ms < seg.end_s * 1000]
        # Messages not recorded yet count as not answered within the gate.
        return not s.gates.holds(rows, expected=offered)

    def stop(self, at_s: float) -> None:
        """Stop scheduling new guest messages everywhere; in-flight ones finish."""
        self.stop_at_s = at_s
        STOP.set()
        if isinstance(self.env.runner, MasterRunner):
            self.env.runner.send_message(STOP_MSG, {"at_s": at_s})

    def should_end(self, run_time: float) -> bool:
        """After the schedule: as soon as every scheduled message has its e2e sample, or the reply timeout."""
        s = _settings(self.env)
        schedule = s.schedule()
        finished = self.stop_at_s is None and run_time >= schedule.total_s
        if finished and self.e2e_count >= schedule.expected_count():
            return True
        end = schedule.total_s if self.stop_at_s is None else self.stop_at_s
        return run_time >= end + s.reply_timeout_s + 2.0

    def finish(self) -> dict[str, Any] | None:
        """Write the summary JSON (idempotent: rewritten if late rows arrived)."""
        if self.handle is None:
            return None
        self.write_pending()
        s = _settings(self.env)
        schedule = s.schedule()
        until = schedule.total_s
        if self.stop_at_s is not None and self.rows:
            # Stopped early: the schedule ran up to its last issued slot (generator clocks, not ours).
            last = max(r.intended_ms for r in self.rows) / 1000.0
            seg = schedule.segment_at(last)
            until = min(schedule.total_s, last + (1.0 / seg.rate if seg and seg.rate > 0 else 0.0))
        summary = summarize(
            self.rows,
            schedule,
            self.cpu,
            s.gates,
            until_s=until,
            started_unix=self.schedule_started_unix or self.started_unix,
            generators=max(1, int(getattr(self.env.parsed_options, "generators", 1) or 1)),
            cpu_count=psutil.cpu_count() or 1,
            settings=s.public(),
            scripts=ScriptBook(s.mix, load_golden(Path(s.conversations_dir))).sources(),
        )
        summary["test_started_unix"] = self.started_unix
        calls: collections.Counter[str] = collections.Counter()
        for node in self.calls.values():
            calls.update(node)
        summary["control_calls"] = dict(calls)
        summary["control_calls_per_message"] = {k: round(v / max(1, summary["sent"]), 3) for k, v in calls.items()}
        summary["locust_cpu_warning"] = bool(getattr(self.env.runner, "cpu_warning_emitted", False))
        path = Path(s.summary_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
        return summary

    def close(self) -> None:
        for g in self.greenlets:
            g.kill(block=False)
        self.finish()
        if self.handle is not None:
            self.handle.close()
            self.handle = None


class Forwarder:
    """On a worker: batches this process's samples and CPU to the master twice a second."""

    def __init__(self, environment: Any) -> None:
        self.env = environment
        self.buffer: list[dict[str, Any]] = []
        self.t0_unix: float | None = None
        self.proc = psutil.Process()
        self.greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        self.proc.cpu_percent(None)
        if self.greenlet is None:
            self.greenlet = gevent.spawn(self._loop)

    def _loop(self) -> None:
        while True:
            gevent.sleep(0.5)
            self.flush()

    def flush(self) -> None:
        rows, self.buffer = self.buffer, []
        data = {"rows": rows, "cpu": self.proc.cpu_percent(None) / 100.0, "t0_unix": self.t0_unix, "calls": dict(CALLS)}
        self.env.runner.send_message(SAMPLES_MSG, data)


STOP = Event()
# This process's control-plane calls by kind (its generator's SimClient counts into it).
CALLS: collections.Counter[str] = collections.Counter()
_recorder: Recorder | None = None
_forwarder: Forwarder | None = None


@events.init.add_listener
def _on_init(environment: Any, **_kw: Any) -> None:
    global _recorder, _forwarder
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        _forwarder = Forwarder(environment)
        runner.register_message(STOP_MSG, lambda *_a, **_k: STOP.set())
    else:
        _recorder = Recorder(environment)
        if isinstance(runner, MasterRunner):
            runner.register_message(SAMPLES_MSG, _recorder.on_worker_batch)


@events.test_start.add_listener
def _on_test_start(environment: Any, **_kw: Any) -> None:
    STOP.clear()
    CALLS.clear()
    runner = environment.runner
    if isinstance(runner, MasterRunner) and environment.parsed_options is not None:
        # One generator per worker; each takes every n-th slot of the global schedule.
        environment.parsed_options.generators = max(1, runner.worker_count)
    if hasattr(environment, "_hotelero_settings"):
        del environment._hotelero_settings
    if _recorder is not None:
        _recorder.start()
    if _forwarder is not None:
        _forwarder.start()
    # What exists now (Locust, Faker, the scripts) lives for the whole run: keep it out of every collection.
    settle_heap()


@events.request.add_listener
def _on_request(context: dict[str, Any] | None = None, **_kw: Any) -> None:
    row = (context or {}).get("hotelero_sample")
    if row is None:
        return
    if _recorder is not None:
        _recorder.add(row)
    elif _forwarder is not None:
        _forwarder.buffer.append(row.__dict__)


@events.test_stop.add_listener
def _on_test_stop(environment: Any, **_kw: Any) -> None:
    STOP.set()
    if _forwarder is not None:
        _forwarder.flush()
    if _recorder is not None:
        _recorder.calls[""] = dict(CALLS)
        _recorder.finish()


@events.quitting.add_listener
def _on_quitting(environment: Any, **_kw: Any) -> None:
    if _recorder is not None:
        _recorder.close()


def _report_t0(unix: float) -> None:
    if _recorder is not None:
        _recorder.schedule_started(unix)
    elif _forwarder is not None:
        _forwarder.t0_unix = unix


@dataclass
class Guest:
    """A virtual guest: own wa_id, a Faker name and a language."""

    wa_id: str
    name: str
    language: str
    # The simulator has this guest: its first message named it (or it was registered).
    known: bool = False


@dataclass
class Conversation:
    """A script being played by one guest."""

    id: str
    guest: Guest
    script: Script
    run: str = "0"
    turn: int = 0
    # Tappable options of the last replies: (kind, id, title, wamid of the business message offering it).
    options: list[tuple[str, str, str, str]] = field(default_factory=list)


class GuestTraffic(User):
    """One open-model generator: schedules guest messages at its share of the rate, whatever the replies do."""

    # The generator paces itself; Locust's wait_time is never consulted between its single long task.
    def wait_time(self) -> float:
        return 1.0

    def on_start(self) -> None:
        env = self.environment
        self.cfg = _settings(env)
        self.generators = max(1, int(getattr(env.parsed_options, "generators", 1) or 1))
        self.index = getattr(env.runner, "worker_index", 0) % self.generators
        seed = self.cfg.seed * 1_000_003 + self.index
        self.rng = random.Random(seed)
        # Guests have their own RNG, so languages and names stay independent of the scripts drawn.
        self.guest_rng = random.Random(seed ^ 0x5EED)
        self.names = _guest_names(seed)
        self.book = ScriptBook(self.cfg.mix, load_golden(Path(self.cfg.conversations_dir)))
        self.client = SimClient(self.host or "http://127.0.0.1:8082", timeout_s=self.cfg.reply_timeout_s)
        self.client.calls = CALLS
        self.ready: collections.deque[Conversation] = collections.deque()
        self.guests_made = 0
        self.conversations = 0
        self.today = date.today()

    def on_stop(self) -> None:
        self.client.close()

    # -- guests ------------------------------------------------------------------------------
    def _new_guest(self) -> Guest:
        langs = list(self.cfg.languages)
        language = self.guest_rng.choices(langs, weights=[self.cfg.languages[x] for x in langs])[0]
        self.guests_made += 1
        wa_id = f"{COUNTRY_CODES[language]}{self.cfg.run_tag or 0:03d}{self.index:02d}{self.guests_made:06d}"
        return Guest(wa_id, self.guest_rng.choice(self.names[language]), language)

    def _send(self, guest: Guest, message: dict[str, Any]) -> tuple[str, float | None]:
        """Send as the guest; its first message also names it, so no registration call is needed."""
        if guest.known:
            return self.client.send(guest.wa_id, message)
        try:
            sent = self.client.send(guest.wa_id, {**message, "profile_name": guest.name})
        except SimError as exc:
            if exc.status != 404:
                raise
            # The simulator does not create guests on their first message (auto_create_guests off).
            self.client.add_guest(guest.wa_id, guest.name, guest.language)
            sent = self.client.send(guest.wa_id, message)
        guest.known = True
        return sent

    # -- the schedule ------------------------------------------------------------------------
    @task
    def run_schedule(self) -> None:
        schedule = self.cfg.schedule()
        pool = Pool(20_000)
        self.t0 = time.monotonic()
        _report_t0(time.time())
        for due, seg in schedule.slots(self.generators, self.index):
            # A plain sleep, then the flag: cheaper than Event.wait(timeout), which builds a Timeout per slot.
            gevent.sleep(max(0.0, self.t0 + due - time.monotonic()))
            if STOP.is_set():
                break
            conv = self.ready.popleft() if self.ready else self._new_conversation()
            pool.spawn(self._play_turn, conv, due, seg)
        pool.join(timeout=self.cfg.reply_timeout_s + 5)
        # Idle until the shape ends the run; the task must not start a second schedule.
        while True:
            gevent.sleep(3600)

    def _new_conversation(self) -> Conversation:
        guest = self._new_guest()
        self.conversations += 1
        script = self.book.choose(self.rng, guest.language)
        run = f"{self.cfg.run_tag or 0}{self.index:02d}{self.conversations}"
        return Conversation(f"g{self.index}-{self.conversations}", guest, script, run=run)

    def _message(self, conv: Conversation) -> dict[str, Any]:
        """A tap on the offered option titled like the turn, or else the turn typed as text."""
        turn = conv.script.turns[conv.turn]
        if turn.action in ("button", "list"):
            wanted = [o for o in conv.options if o[2].casefold() == turn.text.casefold()]
            if wanted:
                return _tap(*wanted[0])
        text = render(turn, self.rng, self.today, conv.guest.name, conv.guest.language, run=conv.run)
        return {"type": "text", "text": text}

    def _play_turn(self, conv: Conversation, due: float, seg: Segment) -> None:
        """Send one guest message and record its ack and e2e samples, timed from the intended send.

        One send and one reply long poll per message (a second, immediate poll only when the reply beat the
        simulator's record of the webhook's answer).
        """
        cfg = self.cfg
        intended = self.t0 + due
        turn = conv.script.turns[conv.turn]
        flow = conv.script.flow
        message = self._message(conv)
        sent_at = time.monotonic()
        # The fields both rows of this message share.
        common: dict[str, Any] = {
            "flow": flow,
            "language": conv.guest.language,
            "intended_ms": round(due * 1000, 3),
            "phase": seg.label,
            "wa_id": conv.guest.wa_id,
            "conversation": conv.id,
            "turn": conv.turn,
            "script": conv.script.name,
            "worker": self.index,
            "warmup": due < cfg.warmup_s,
            "sent_ms": round((sent_at - self.t0) * 1000, 3),
        }
        try:
            wamid, accepted_ms = self._send(conv.guest, message)
        except (SimError, OSError, gevent.Timeout) as exc:
            self._fail_both(common, f"send failed: {exc}"[:200], "send failed")
            return
        lag_ms = (sent_at - intended) * 1000
        deadline = intended + cfg.reply_timeout_s
        try:
            replies, timeline = self.client.replies(conv.guest.wa_id, wamid, deadline - time.monotonic(), cfg.settle_ms)
            ack_ms, ack_problem = timeline.ack_latency_ms()
            if ack_ms is None and replies:
                # The agent may reply before its webhook answer is recorded: look once more.
                gevent.sleep(0.2)
                _r, timeline = self.client.replies(conv.guest.wa_id, wamid, 0.0, 0, kind="ack_recheck")
                ack_ms, ack_problem = timeline.ack_latency_ms()
        except (SimError, OSError, gevent.Timeout) as exc:
            self._fail_both(common, f"poll failed: {exc}"[:200], "poll failed")
            return
        accepted = timeline.accepted_at_ms if timeline.accepted_at_ms is not None else accepted_ms
        ack_row = Sample("ack", "ack", latency_ms=ack_ms, ok=ack_ms is not None, error=ack_problem, **common)
        self._fire(ack_row, (ack_problem or "").split(" (")[0] or None)
        # What this message's e2e row adds to `common`: its ack, and the simulator's own delay before the webhook.
        extra = {
            "ack_latency_ms": None if ack_ms is None else round(ack_ms, 3),
            "sim_dispatch_ms": timeline.dispatch_ms(),
        }
        timeout_ms = cfg.reply_timeout_s * 1000
        name = f"e2e:{flow}"
        if not replies or accepted is None:
            waited = round(max(timeout_ms, (time.monotonic() - intended) * 1000), 3)
            error = "timeout: no reply"
            row = Sample("e2e", name, latency_ms=waited, ok=False, error=error, censored=True, **extra, **common)
            self._fire(row, error)
            return
        first = min(replies, key=lambda r: r.arrived_at_ms)
        e2e_ms = round(lag_ms + (first.arrived_at_ms - float(accepted)), 3)
        if e2e_ms > timeout_ms:
            error = "timeout: reply too late"
            self._fire(Sample("e2e", name, latency_ms=e2e_ms, ok=False, error=error, **extra, **common), error)
            return
        text = "\n".join(reply_text(r.message) for r in sorted(replies, key=lambda r: r.arrived_at_ms))
        wrong = (turn.expect if cfg.check_replies else Expectation(turn.expect.kind)).judge(text)
        if wrong:
            said = message.get("text") or message.get("title") or ""
            error = f"{wrong}; sent={said[:80]!r}; reply={text[:120]!r}"
            self._fire(Sample("e2e", name, latency_ms=e2e_ms, ok=False, error=error, **extra, **common), wrong)
            return
        self._fire(Sample("e2e", name, latency_ms=e2e_ms, ok=True, **extra, **common), None)
        more = conv.turn + 1 < len(conv.script.turns) and not turn.expect.ends(text)
        if more and not STOP.is_set():
            conv.turn += 1
            conv.options = [(*o, r.wamid) for r in replies for o in reply_options(r.message)]
            self.ready.append(conv)

    def _fail_both(self, common: dict[str, Any], reason: str, kind: str) -> None:
        """A message that could not be sent or awaited: a failed ack row and a failed e2e row."""
        self._fire(Sample("ack", "ack", latency_ms=None, ok=False, error=reason, **common), kind)
        self._fire(Sample("e2e", f"e2e:{common['flow']}", latency_ms=None, ok=False, error=reason, **common), kind)

    def _fire(self, row: Sample, failure: str | None) -> None:
        """Record a sample in Locust's stats and in the sample file (one event, so the counts agree)."""
        if row.ok:
            failure = None
        elif failure is None:
            failure = row.error or "failed"
        self.environment.events.request.fire(
            request_type=row.type,
            name=row.name,
            response_time=row.latency_ms if row.latency_ms is not None else 0.0,
            response_length=0,
            exception=None if failure is None else LoadFailure(failure),
            context={"hotelero_sample": row},
        )


def _guest_names(seed: int) -> dict[str, list[str]]:
    """First and last names per language (no honorifics: the golden conversations do not cover "Dr.")."""
    names: dict[str, list[str]] = {}
    for n, (language, locale) in enumerate(FAKER_LOCALES.items()):
        faker = Faker(locale)
        faker.seed_instance(seed + n)
        names[language] = [f"{faker.first_name()} {faker.last_name()}" for _ in range(NAMES_PER_LANGUAGE)]
    return names


def _tap(kind: str, option_id: str, title: str, wamid: str) -> dict[str, Any]:
    """A guest tapping a reply button or a list row the business offered."""
    if kind == "button":
        return {"type": "button", "button_id": option_id, "title": title, "context_wamid": wamid}
    return {"type": "list", "row_id": option_id, "title": title, "context_wamid": wamid}


class LoadFailure(Exception):
    """A guest-visible failure (timeout, wrong answer, send failed), grouped by kind in Locust's failures."""


class HoteleroShape(LoadTestShape):
    """Runs one generator per process until the schedule (and the replies it waits for) is over."""

    def tick(self) -> tuple[int, float] | None:
        run_time = self.get_run_time()
        if _recorder is not None and _recorder.should_end(run_time):
            return None
        n = max(1, self.runner.worker_count) if isinstance(self.runner, MasterRunner) else 1
        return n, float(n)

"""NLU parse latency over the team sets and the register corpus: p50/p95/p99 per parse, cold and warm passes.

Run: .venv/bin/python benchmarks/bench_nlu.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time

from agent.brain.nlu import parse
from agent.brain.nlu.normalize import _tokens_of, correct_token
from agent.brain.nlu.parser import _parse_recent
from agent.nlu_model import default_model, load_corpus
from qualitygates.stats import percentile
from validation.nlu_eval import default_sets, from_corpus, load_examples


def timed_pass(examples: list, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock microseconds per parse; with `cpu`, also this thread's CPU microseconds per parse."""
    samples = []
    model = default_model()
    for ex in examples:
        _parse_recent.cache_clear()  # every parse a message never seen before (the memo serves only repeats)
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        parse(ex.text, ex.reference_date, model=model)
        samples.append((time.perf_counter_ns() - start) / 1000.0)
        if cpu is not None:
            # CPU time leaves out the time the scheduler gave other processes (a busy shared box).
            cpu.append((time.thread_time_ns() - start_cpu) / 1000.0)
    return samples


def describe(label: str, samples: list[float]) -> str:
    return (
        f"{label:<22} n={len(samples):>6}  p50={percentile(samples, 50):7.1f} us  p95={percentile(samples, 95):7.1f} us"
        f"  p99={percentile(samples, 99):7.1f} us  max={max(samples):8.1f} us  mean={statistics.fmean(samples):7.1f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="warm passes over the whole set (default 20)")
    args = parser.parse_args()
    examples = [ex for path in default_sets() for ex in load_examples(path)]
    examples += [from_corpus(m) for m in load_corpus()]
    started = time.perf_counter()
    default_model()  # loaded (or fitted) once per process, before the first parse: not a parse cost
    print(f"intent model ready in {time.perf_counter() - started:.2f} s")
    correct_token.cache_clear()
    _tokens_of.cache_clear()  # the per-token memo too: the cold pass sees every token for the first time
    gc.collect()
    cold = timed_pass(examples)  # first sight of every token: typo-correction cache empty
    warm: list[float] = []
    warm_cpu: list[float] = []
    wall = time.perf_counter()
    for _ in range(args.rounds):
        warm.extend(timed_pass(examples, warm_cpu))
    wall = time.perf_counter() - wall
    print(f"NLU parse latency over {len(examples)} evaluation messages")
    print(describe("cold (first pass)", cold))
    print(describe(f"warm ({args.rounds} passes)", warm))
    print(describe("warm, thread CPU time", warm_cpu))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"throughput (warm, one core): {len(warm) / wall:,.0f} parses/s")


if __name__ == "__main__":
    main()

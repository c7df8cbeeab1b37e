"""Live figures of a sending stage, shown on the console while it runs."""

from __future__ import annotations

from qualitygates.stats import percentile
from qualitygates.window import judged_latency_ms
from validation.samples import E2ESample


class LiveFigures:
    """Counts and a recent exact p95 over the last few hundred replies, by the gates' latency rule."""

    def __init__(self, reply_timeout_ms: float = 10_000.0) -> None:
        self.reply_timeout_ms = reply_timeout_ms
        self.done = 0
        self.errors = 0
        self.recent: list[float] = []

    def add(self, sample: E2ESample) -> None:
        self.done += 1
        if not sample.ok:
            self.errors += 1
        judged = judged_latency_ms(sample, self.reply_timeout_ms)
        if judged is not None:
            self.recent.append(judged)
            if len(self.recent) > 500:
                del self.recent[:100]

    def text(self, cpu: float | None = None) -> str:
        p95 = f"{percentile(self.recent, 95):.0f} ms" if self.recent else "-"
        cpu_text = f" · gen CPU {cpu:.0f}%" if cpu is not None else ""
        return f"{self.done} done · p95 {p95} · errors {self.errors}{cpu_text}"

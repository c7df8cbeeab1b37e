"""Gates and statistics shared by `validation/` and `loadtests/`: one of each, so what is drawn is what is judged.

- `schema`: quality_gates.yaml (gates, units, profiles) and its strict loader, the one place thresholds are read;
- `stats`: the one percentile (nearest rank, exact);
- `durations`: the one duration grammar (`90`, `250ms`, `1h30m`);
- `window`: the one rule for "within the gates" over a window of guest messages, and the one recovery window.
"""

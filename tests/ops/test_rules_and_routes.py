"""The Prometheus rules and Alertmanager routes, checked by the real promtool and amtool."""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

OPS = Path(__file__).resolve().parents[2] / "ops"
RULES = OPS / "prometheus" / "hotelero.rules.yml"
RULE_TESTS = sorted((OPS / "prometheus" / "tests").glob("*.test.yml"))
ALERTMANAGER = OPS / "alertmanager" / "alertmanager.yml"
MONITORING_DOC = OPS.parent / "docs" / "monitoring.md"
RECEIVERS = {"critical": "pager,chat", "high": "chat", "medium": "email", "info": "info-channel"}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:  # CI installs them (.ci/run); a laptop needs the Debian packages
        pytest.fail(f"{name} not found: apt-get install prometheus prometheus-alertmanager")
    return path


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=240, check=False)


def alerts() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [r for g in groups for r in g["rules"] if "alert" in r]


def test_rules_file_passes_promtool_check() -> None:
    out = run(tool("promtool"), "check", "rules", str(RULES))
    assert out.returncode == 0, out.stdout + out.stderr


def test_rule_unit_tests_pass_in_promtool() -> None:
    promtool = tool("promtool")
    with ThreadPoolExecutor(len(RULE_TESTS)) as pool:
        results = list(pool.map(lambda f: run(promtool, "test", "rules", str(f)), RULE_TESTS))
    failed = [r.stdout + r.stderr for r in results if r.returncode != 0]
    assert not failed, "\n".join(failed)


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_stays_silent() -> None:
    fired, silent = set(), set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case["alert_rule_test"]:
                (fired if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {a["alert"] for a in alerts()}
    assert names - fired == set(), "alerts never shown firing"
    assert names - silent == set(), "alerts never shown silent"


def test_a_weakened_rule_fails_its_unit_test(tmp_path: Path) -> None:
    # The circuit alert with a 1-minute `for:` must no longer fire at 18 s: the unit tests can fail.
    text = RULES.read_text()
    weakened = re.sub(r"(alert: HoteleroPMSCircuitOpen\n(?:.*\n)*?\s+for: )5s", r"\g<1>1m", text, count=1)
    assert weakened != text
    (tmp_path / "tests").mkdir()
    (tmp_path / "hotelero.rules.yml").write_text(weakened)
    shutil.copy(OPS / "prometheus" / "tests" / "pms_circuit.test.yml", tmp_path / "tests")
    out = run(tool("promtool"), "test", "rules", str(tmp_path / "tests" / "pms_circuit.test.yml"))
    assert out.returncode != 0
    assert "HoteleroPMSCircuitOpen" in out.stdout + out.stderr


def test_every_alert_has_a_routed_severity_a_summary_and_a_documented_runbook() -> None:
    doc = MONITORING_DOC.read_text()
    anchors = {m.lower().replace(" ", "-") for m in re.findall(r"^#+ (.+)$", doc, re.M)}
    for alert in alerts():
        assert alert["labels"]["severity"] in RECEIVERS, alert["alert"]
        assert alert["annotations"]["summary"], alert["alert"]
        runbook = alert["annotations"]["runbook"]
        assert runbook.startswith("docs/monitoring.md#"), alert["alert"]
        assert runbook.split("#", 1)[1] in anchors, f"{alert['alert']}: no heading for {runbook}"


def test_alertmanager_config_passes_amtool_check() -> None:
    out = run(tool("amtool"), "check-config", str(ALERTMANAGER))
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("severity", sorted(RECEIVERS))
def test_each_severity_routes_to_its_receiver(severity: str) -> None:
    config = f"--config.file={ALERTMANAGER}"
    out = run(tool("amtool"), "config", "routes", "test", config, f"severity={severity}", "alertname=X")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == RECEIVERS[severity]

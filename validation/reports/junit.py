"""junit.xml: one testcase per gate, per stage check and per golden conversation.

A breached gate is a <failure>; an invalid run turns every gate into an <error> (its figures prove
nothing); an inconclusive gate is <skipped> with the reason, so CI shows it was not proven.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from qualitygates.schema import format_number
from validation.gates import GateResult
from validation.result import Result


def _gate_case(suite: ET.Element, gate: GateResult, invalid: bool, invalid_reason: str) -> str:
    case = ET.SubElement(suite, "testcase", classname="hotelero.gates", name=gate.name, time="0")
    props = ET.SubElement(case, "properties")
    for key, value in (
        ("gate", gate.describe()),
        ("severity", gate.severity),
        ("status", gate.status),
        ("measured", "" if gate.measured is None else format_number(gate.measured)),
        ("threshold", format_number(gate.threshold)),
        ("unit", gate.unit),
        ("margin", "" if gate.margin is None else format_number(gate.margin)),
        ("samples", str(gate.samples)),
        ("min_samples", str(gate.min_samples)),
    ):
        ET.SubElement(props, "property", name=key, value=value)
    measured = "-" if gate.measured is None else f"{format_number(gate.measured)} {gate.unit}"
    text = f"{gate.describe()}: measured {measured} over {gate.samples} samples ({gate.reason})"
    if invalid:
        ET.SubElement(case, "error", type="invalid_run", message=f"run invalid: {invalid_reason}").text = text
        return "error"
    if gate.status == "FAIL" and gate.severity == "blocking":
        ET.SubElement(case, "failure", type="gate_breached", message=f"{gate.name} breached: {text}").text = text
        return "failure"
    if gate.status in ("INCONCLUSIVE", "NOT_RUN"):
        ET.SubElement(case, "skipped", message=f"{gate.status}: {gate.reason}")
        return "skipped"
    ET.SubElement(case, "system-out").text = ("WARNING breached: " if gate.status == "FAIL" else "") + text
    return "pass"


def _suite(root: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(root, "testsuite", name=name)


def _close(suite: ET.Element, counts: dict[str, int], seconds: float) -> None:
    suite.set("tests", str(sum(counts.values())))
    suite.set("failures", str(counts.get("failure", 0)))
    suite.set("errors", str(counts.get("error", 0)))
    suite.set("skipped", str(counts.get("skipped", 0)))
    suite.set("time", f"{seconds:.3f}")


def render_junit(result: Result) -> str:
    """The junit.xml text of a result."""
    invalid = str(result.verdict) == "INVALID"
    root = ET.Element("testsuites", name=f"hotelero validate {result.run.profile}")
    totals: dict[str, int] = {}

    gates = _suite(root, "gates")
    counts: dict[str, int] = {}
    for gate in result.gates:
        kind = _gate_case(gates, gate, invalid, result.verdict_reason)
        counts[kind] = counts.get(kind, 0) + 1
    _close(gates, counts, result.run.wall_s)
    for k, v in counts.items():
        totals[k] = totals.get(k, 0) + v

    checks = _suite(root, "stages")
    counts = {}
    for stage in result.stages:
        for check in stage.checks:
            case = ET.SubElement(checks, "testcase", classname=f"hotelero.stages.{stage.name}", name=check.name)
            case.set("time", "0")
            if check.passed:
                kind = "pass"
                if check.detail:
                    ET.SubElement(case, "system-out").text = check.detail
            else:
                kind = "failure"
                ET.SubElement(case, "failure", type="check_failed", message=check.detail or check.name)
            counts[kind] = counts.get(kind, 0) + 1
        if stage.status == "ERROR":
            case = ET.SubElement(checks, "testcase", classname=f"hotelero.stages.{stage.name}", name="stage")
            ET.SubElement(case, "error", type="stage_error", message=stage.detail or "stage crashed")
            counts["error"] = counts.get("error", 0) + 1
    _close(checks, counts, 0)
    for k, v in counts.items():
        totals[k] = totals.get(k, 0) + v

    convs = _suite(root, "functional")
    counts = {}
    for conv in result.conversations:
        case = ET.SubElement(convs, "testcase", classname="hotelero.conversations", name=conv.name)
        case.set("time", f"{conv.duration_ms / 1000:.3f}")
        if conv.passed:
            counts["pass"] = counts.get("pass", 0) + 1
        else:
            lines = [conv.detail] + [str(turn) for turn in conv.failed_turns]
            failure = ET.SubElement(case, "failure", type="conversation_failed", message=conv.detail or "turn failed")
            failure.text = "\n".join(line for line in lines if line)
            counts["failure"] = counts.get("failure", 0) + 1
    _close(convs, counts, 0)
    for k, v in counts.items():
        totals[k] = totals.get(k, 0) + v

    if str(result.verdict) == "ERROR":
        harness = _suite(root, "harness")
        # A configuration error is an errored testcase named `configuration`, so CI shows what to fix.
        kind = result.error_kind or "harness"
        case = ET.SubElement(harness, "testcase", classname="hotelero.harness", name=kind, time="0")
        ET.SubElement(case, "error", type=f"{kind}_error", message=result.verdict_reason[:500]).text = (
            result.verdict_reason
        )
        _close(harness, {"error": 1}, 0)
        totals["error"] = totals.get("error", 0) + 1

    _close(root, totals, result.run.wall_s)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

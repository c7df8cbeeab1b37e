"""Create the project virtualenv, even on a Debian/Ubuntu Python without python3-venv (no ensurepip).

    python3 .ci/make_venv.py .venv

Without ensurepip, the venv is created without pip and pip is bootstrapped from its wheel on PyPI
(a pip wheel can run itself: `python pip.whl/pip install pip.whl`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import venv
from pathlib import Path

MIN_PYTHON = (3, 11)


def _bootstrap_pip(python: Path) -> None:
    index = "https://pypi.org/pypi/pip/json"
    with urllib.request.urlopen(index, timeout=60) as response:
        release = json.load(response)
        base = response.url
    wheel = next(u for u in release["urls"] if u["filename"].endswith(".whl"))
    # Mirrors answer with URLs relative to the JSON page.
    wheel_url = urllib.parse.urljoin(base, wheel["url"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / wheel["filename"]
        with urllib.request.urlopen(wheel_url, timeout=120) as response:
            path.write_bytes(response.read())
        subprocess.run([str(python), f"{path}/pip", "install", "--quiet", str(path)], check=True)


def main() -> int:
    if sys.version_info[:2] < MIN_PYTHON:
        need = ".".join(map(str, MIN_PYTHON))
        print(
            f"hotelero needs Python >= {need}; {sys.executable} is {sys.version.split()[0]}. "
            f"Run make with PYTHON=python{need} (or newer).",
            file=sys.stderr,
        )
        return 1
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".venv")
    try:
        import ensurepip  # noqa: F401
    except ImportError:
        has_ensurepip = False
    else:
        has_ensurepip = True
    python = target / "bin" / "python"
    try:
        venv.EnvBuilder(with_pip=has_ensurepip, upgrade_deps=False).create(target)
        if not has_ensurepip:
            print("ensurepip is missing (Debian's python3-venv): bootstrapping pip from PyPI", file=sys.stderr)
            _bootstrap_pip(python)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    except Exception as exc:  # noqa: BLE001 - any failure here has the same remedy
        # A half-made venv would satisfy make's target next time: remove it so the next run retries.
        shutil.rmtree(target, ignore_errors=True)
        print(
            f"could not create {target} ({exc}); install python3-venv (apt-get install python3-venv)", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

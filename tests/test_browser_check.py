"""Without Chromium, a run that includes browser tests stops with one line saying what to
install, not an error per browser test (tests/e2e/conftest.py)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import chromium_missing

REPO = Path(__file__).resolve().parent.parent


def test_an_executable_is_not_missing():
    assert chromium_missing(sys.executable) is None


def test_a_missing_browser_says_what_to_install(tmp_path):
    message = chromium_missing(str(tmp_path / "chromium"))
    assert "apt-get install chromium" in message
    assert "HARBOUR_CHROMIUM" in message


def test_the_run_stops_once_before_any_browser_test(tmp_path):
    missing = str(tmp_path / "no-chromium")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-q", "tests/e2e/test_csp.py"],
        cwd=REPO,
        env={**os.environ, "HARBOUR_CHROMIUM": missing},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 4  # pytest's usage error: nothing ran
    assert output.count(chromium_missing(missing)) == 1
    assert " error" not in output
    assert "passed" not in output

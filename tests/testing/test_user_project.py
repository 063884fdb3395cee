"""A user's project (fixtures/user-project) tests its own code with the installed plugin only."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_user_project_passes_with_the_installed_plugin() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    out = subprocess.run([sys.executable, "-m", "pytest", "fixtures/user-project", "-q", "-p", "no:cacheprovider"],
                         cwd=ROOT, check=False, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " passed" in out.stdout and "failed" not in out.stdout

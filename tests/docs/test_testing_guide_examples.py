"""Every Python example in docs/testing.md runs and passes.

Each ```python block of the guide is a test module on its own: they are written to a temporary
directory (with a user's ordinary pytest configuration) and run by pytest in a subprocess from
the repository root, with only the installed plugin's fixtures.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "testing.md"
INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings =
    ignore::DeprecationWarning
"""


def blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", GUIDE.read_text(), re.MULTILINE | re.DOTALL)


def test_the_guide_has_examples_in_every_section() -> None:
    text = GUIDE.read_text()
    assert len(blocks()) >= 9
    for heading in ("## Fixtures", "## Client libraries", "## Virtual time", "## Snapshots and forks",
                    "### Strategies", "### `ClusterMachine`", "### Testing your own controller",
                    "## Options and markers"):
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        assert "```python" in section, heading


def test_every_python_example_in_the_guide_passes(tmp_path: pathlib.Path) -> None:
    (tmp_path / "pytest.ini").write_text(INI)
    files = []
    for i, code in enumerate(blocks()):
        f = tmp_path / f"test_guide_example_{i:02d}.py"
        f.write_text(code)
        files.append(f.stem)
    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    out = subprocess.run([sys.executable, "-m", "pytest", str(tmp_path), "-q", "-p", "no:cacheprovider",
                          f"--junitxml={report}", "--rootdir", str(tmp_path)],
                         cwd=ROOT, check=False, capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-3000:]
    passed: dict[str, int] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        if not list(case):  # no failure, error or skipped child
            module = case.get("classname", "").rsplit(".", 1)[-1]
            passed[module] = passed.get(module, 0) + 1
    assert [f for f in files if not passed.get(f)] == []  # every block holds a passing test

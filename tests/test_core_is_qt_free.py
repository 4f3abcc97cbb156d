"""The core never imports Qt: a fresh interpreter imports every cati module and checks."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import cati

PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'ui'))
print(','.join(bad))
"""


def all_cati_modules() -> list[str]:
    names = ["cati"]
    for info in pkgutil.walk_packages(cati.__path__, "cati."):
        if ".migrations" in info.name or info.name == "cati.__main__":
            continue
        names.append(info.name)
    return names


def test_every_core_module_imports_without_qt():
    modules = all_cati_modules()
    assert "cati.questionnaire.engine" in modules and "cati.cli" in modules
    result = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"Qt or ui imported by the core: {result.stdout}"

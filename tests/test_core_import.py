"""The core never loads Textual: the headless commands and the checks must run without it."""

from __future__ import annotations

import subprocess
import sys

CORE_MODULES = (
    "kexplore.core",
    "kexplore.core.model",
    "kexplore.core.params",
    "kexplore.core.pki",
    "kexplore.core.kubeconfig",
    "kexplore.core.manifest",
    "kexplore.core.scan",
)


def test_core_import_does_not_load_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "", f"textual modules loaded: {out.stdout.strip()}"


def test_package_init_stays_empty_of_imports() -> None:
    code = ("import sys, kexplore.core\n"
            "print(sorted(m for m in sys.modules if m.startswith('kexplore.core.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]"

"""Start every measurement from compiled bytecode, as a normal install runs after its first
start. (This workplace sets PYTHONDONTWRITEBYTECODE, so without this every run would
compile kexplore's sources again and time that too.)"""

from __future__ import annotations

import compileall
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "kexplore"


def compile_package() -> None:
    compileall.compile_dir(str(PACKAGE), quiet=1)

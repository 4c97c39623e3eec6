"""The headless commands beside generate: check, certs and diff."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Adder = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
ADDERS: list[Adder] = []

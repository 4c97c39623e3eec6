"""Write screenshots/*.svg by driving the real app: a fixed size, clock and theme.

    python -m kexplore.screenshots [OUT_DIR]

The sample tree gives the overview, certificate and kubeconfig shots; a tree generated
with planted faults gives the manifest diff and the broken-tree shots; `kexplore --demo`'s
tree gives the demo shot. No shot shows a private key: key files are only ever
summarised, and embedded keys are redacted.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from kexplore.ui.app import KexploreApp

SAMPLE = Path(__file__).resolve().parent.parent / "sample_etc"
# three weeks before the sample's leaf certificates expire, so the warnings show
SAMPLE_NOW = datetime(2027, 10, 30, 9, 0, tzinfo=timezone.utc)
FAULTS_NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
FAULTS = ("cert-expired", "manifest-leader-elect", "parse-error", "kubeconfig-server")
SIZE = (160, 45)
THEME = "textual-dark"

Scene = Callable[["Pilot[int]"], Awaitable[None]]


async def ready(pilot: Pilot[int]) -> None:
    """Wait until the tree is loaded and the first view is on screen."""
    app: KexploreApp = pilot.app  # type: ignore[assignment]
    for _ in range(200):
        await pilot.pause(0.02)
        if app.session is not None and app.main.query(".view"):
            break
    await pilot.pause()


async def show(pilot: Pilot[int], path: str, tab: str = "") -> None:
    app: KexploreApp = pilot.app  # type: ignore[assignment]
    await ready(pilot)
    app.main.jump(path)
    await pilot.pause()
    await pilot.pause()
    if tab:
        app.main.query_one(f"#{tab}").parent.parent.active = tab  # type: ignore[union-attr]
        await pilot.pause()


async def overview(pilot: Pilot[int]) -> None:
    await ready(pilot)


async def certificate(pilot: Pilot[int]) -> None:
    await show(pilot, "pki/apiserver.crt")


async def kubeconfig(pilot: Pilot[int]) -> None:
    await show(pilot, "admin.conf")


async def manifest_diff(pilot: Pilot[int]) -> None:
    await show(pilot, "manifests/kube-scheduler.yaml")


async def broken_tree(pilot: Pilot[int]) -> None:
    await show(pilot, "pki/front-proxy-client.crt")


async def control_plane(pilot: Pilot[int]) -> None:
    """The components and their links, the first broken one described below."""
    await ready(pilot)
    await pilot.press("C")
    await pilot.pause()
    await pilot.pause()


# (file name, scene, the tree it is taken on: "sample", "faulty" or "demo")
SHOTS: tuple[tuple[str, Scene, str], ...] = (
    ("demo", overview, "demo"),
    ("overview", overview, "sample"),
    ("certificate", certificate, "sample"),
    ("kubeconfig", kubeconfig, "sample"),
    ("manifest-diff", manifest_diff, "faulty"),
    ("broken-tree", broken_tree, "faulty"),
    ("control-plane", control_plane, "faulty"),
)


def stable_sample(target: Path) -> Path:
    """A copy of the sample with the modes kubeadm writes, whatever a checkout left (git
    keeps no modes), so the findings and pictures are the same on every machine."""
    import shutil

    from kexplore.core.conventions.files import DIRECTORY_MODES, expected_mode

    root = target / "sample_etc"
    shutil.copytree(SAMPLE, root)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        rule = expected_mode(rel)
        if path.is_dir():
            path.chmod(DIRECTORY_MODES.get(rel, 0o755))
        else:
            path.chmod(rule.mode if rule else 0o644)
    return root


def sample_app(root: Path = SAMPLE) -> KexploreApp:
    from kexplore.ui.app import KexploreApp

    return KexploreApp(root, now=SAMPLE_NOW, root_label="sample_etc", theme=THEME)


def faulty_app(root: Path) -> KexploreApp:
    from kexplore.ui.app import KexploreApp

    return KexploreApp(root, now=FAULTS_NOW, root_label="/etc/kubernetes", theme=THEME)


def demo_app(scratch: Path) -> KexploreApp:
    from kexplore.core.sample import ensure_sample
    from kexplore.ui.app import KexploreApp

    demo = ensure_sample(FAULTS_NOW, demo=True, home=scratch / "cache")
    note = (f"demo: a sample with {len(demo.lessons)} planted faults; the overview says "
            "what each teaches. kexplore PATH opens a real tree")
    return KexploreApp(demo.root, now=FAULTS_NOW, root_label="kexplore --demo", theme=THEME,
                       note=note, lessons=demo.lessons)


def generate_faulty(target: Path) -> Path:
    from kexplore.core.faults import parse_fault
    from kexplore.core.generate import generate_tree
    from kexplore.core.params import ClusterParams

    root = target / "etc-kubernetes"
    generate_tree(root, ClusterParams(), FAULTS_NOW, [parse_fault(f) for f in FAULTS])
    return root


async def shoot(app: KexploreApp, scene: Scene, out: Path, name: str) -> Path:
    async with app.run_test(size=SIZE, notifications=False) as pilot:
        await scene(pilot)
        app.save_screenshot(filename=f"{name}.svg", path=str(out))
    return out / f"{name}.svg"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        faulty_root = generate_faulty(Path(scratch))
        sample_root = stable_sample(Path(scratch))
        for name, scene, tree in SHOTS:
            app = {"faulty": lambda: faulty_app(faulty_root),
                   "demo": lambda: demo_app(Path(scratch)),
                   "sample": lambda: sample_app(sample_root)}[tree]()
            written = asyncio.run(shoot(app, scene, out, name))
            svg = written.read_text()
            if "PRIVATE KEY" in svg:
                written.unlink()
                raise SystemExit(f"{name}: private key material on screen; not written")
            print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What each part loads: the core never loads Textual (the headless commands and the checks
run without it), and the explorer's parent never loads the parsing libraries."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

CORE_MODULES = (
    "kexplore.core",
    "kexplore.core.model",
    "kexplore.core.params",
    "kexplore.core.pki",
    "kexplore.core.kubeconfig",
    "kexplore.core.manifest",
    "kexplore.core.read.scan",
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


def test_a_loaded_session_travels_without_the_parsing_libraries(tmp_path: Path) -> None:
    """The explorer's parent process receives the forked child's session already decoded:
    neither the app nor the session's values may pull in cryptography or PyYAML, which
    would cost the first frame tens of milliseconds."""
    session = tmp_path / "session.pickle"
    code_dump = (
        "import pickle, sys\n"
        "from datetime import datetime, timezone\n"
        "from pathlib import Path\n"
        "from kexplore.ui.session import load_session\n"
        "s = load_session(Path(sys.argv[1]), datetime(2026, 11, 1, tzinfo=timezone.utc))\n"
        "assert s.tree.nodes and s.report.findings and s.expiry and s.inferred\n"
        "assert s.plane.links and s.plane.used_by('pki/apiserver.crt')\n"
        "Path(sys.argv[2]).write_bytes(pickle.dumps(s))\n"
    )
    sample = tmp_path / "etc"
    shutil.copytree(Path(__file__).resolve().parent.parent / "sample_etc", sample)
    # links of every sort: read through, to a folder, dangling, leaving the tree
    (sample / "pki" / "kubernetes-ca.crt").symlink_to("ca.crt")
    (sample / "pki-link").symlink_to("pki")
    (sample / "gone.crt").symlink_to("nowhere.crt")
    (sample / "outside.key").symlink_to("/etc/hostname")
    subprocess.run([sys.executable, "-c", code_dump, str(sample), str(session)],
                   check=True, timeout=60)
    code_load = (
        "import pickle, sys\n"
        "import kexplore.ui.app, kexplore.ui.views.plane, kexplore.ui.views.uses\n"
        "s = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "print(len(s.tree.nodes))\n"
        "assert s.plane.trusted_by('pki/ca.crt') and s.plane.link(s.plane.links[0].id)\n"
        "print(','.join(sorted(m for m in sys.modules\n"
        "                      if m.split('.')[0] in ('cryptography', 'yaml'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code_load, str(session)], capture_output=True,
                         text=True, timeout=60, check=True)
    count, heavy = [*out.stdout.splitlines(), ""][:2]
    assert int(count) > 20
    assert heavy == "", f"loaded in the parent: {heavy}"


# What `kexplore check` never needs: the explorer, the watcher, the server, the generator,
# and the checks of other profiles. Loading any of them is start-up time every check pays.
NOT_FOR_CHECK = (
    "textual", "watchfiles", "http.server", "kexplore.ui", "kexplore.live", "kexplore.polling",
    "kexplore.watchcheck", "kexplore.serve", "kexplore.core.generate", "kexplore.core.faults",
    "kexplore.core.sample", "kexplore.core.inventory", "kexplore.core.compare",
    "kexplore.core.cis", "rich._emoji_codes",
)
LOADED_BY_CHECK = """
import sys
from kexplore.cli import main
code = main(sys.argv[1:])
print(' '.join(sorted(sys.modules)), file=sys.stderr)
"""


def modules_loaded_by(*args: str) -> set[str]:
    """Every module a `kexplore` command line loads, from a fresh interpreter running this
    checkout's code."""
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", LOADED_BY_CHECK, *args], capture_output=True,
                         text=True, timeout=60, cwd=root)
    assert out.returncode in (0, 1), out.stderr
    return set(out.stderr.split())


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_check_loads_only_what_checking_needs() -> None:
    root = Path(__file__).resolve().parent.parent / "sample_etc"
    text = modules_loaded_by("check", str(root))
    as_json = modules_loaded_by("check", str(root), "--format", "json")
    # the probe sees what check does load: the checks, the decoder, the table renderer
    assert {"kexplore.core.check", "cryptography.x509", "yaml"} <= text & as_json
    assert "rich.console" in text
    assert loaded(text, NOT_FOR_CHECK) == []
    # JSON is data: nothing of rich, which only lays out text
    assert loaded(as_json, (*NOT_FOR_CHECK, "rich")) == []
    # another profile loads its own module, only then
    assert "kexplore.core.cis" in modules_loaded_by("check", str(root), "--profile", "cis")

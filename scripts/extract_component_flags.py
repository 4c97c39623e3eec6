"""Extract the command-line flags of kubeadm's four components, version by version, into the
compact data kexplore ships (kexplore/core/conventions/component_flags.json).

Sources, all read-only:
- kube-apiserver, kube-controller-manager, kube-scheduler: the reference pages generated
  from each release's Go flag sets, in a clone of kubernetes/website (any fork with its
  history), content/en/docs/reference/command-line-tools-reference/<component>.md; for each
  minor, the last commit whose subject names it ("Update reference for kube components
  v1.31"). The page's own --emulated-version text, where it has one, confirms the minor.
- a minor the clone lacks: names transcribed from the same page, one a line, in
  scripts/component_flags/<component>-<minor>.txt (kube-apiserver 1.35 from the public
  index; the clones at hand end at 1.31).
- etcd: a clone of etcd-io/etcd with its tags; for each minor, its newest release's
  help.go (what `etcd --help` prints) and the flags its config.go registers (etcd's own
  pages in etcd-io/website lag: the v3.6 page lacks --feature-gates).

    python scripts/extract_component_flags.py --website DIR --etcd DIR
    python scripts/extract_component_flags.py ... --check   # exit 1 if the shipped file differs

The data keeps, for each component, the versions it was read from; those of them whose list
is complete (etcd's, from its code; never a Kubernetes page, which omits the flags pflag
hides as deprecated, such as --apiserver-count); the flags first seen already deprecated
(likely there, hidden, before); and, for each flag, the first and last version that has it.
A flag is assumed present in between (a removed flag does not come back).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHIPPED = HERE.parent / "kexplore/core/conventions/component_flags.json"
TRANSCRIBED = HERE / "component_flags"
PAGES = "content/en/docs/reference/command-line-tools-reference/{component}.md"
KUBE_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
KUBE_MINORS = range(28, 38)  # kexplore.core.conventions.versions: 1.28 to 1.37
ETCD_MINORS = ("3.4", "3.5", "3.6")
ETCD_SOURCES = r"(?:^|/)(?:etcdmain/help|etcdmain/config|embed/config)\.go$"

# <td colspan="2">-v, --v Level</td> or <td colspan="2">--allow-privileged</td>
PAGE_FLAG = re.compile(r'<td colspan="2">(?:-\w, )?--([a-z0-9][a-z0-9.-]*)')
PAGE_MINOR = re.compile(r"kube=1\.\d+\.\.1\.(\d+)")
# etcd's help.go: "  --name 'default'"; its config.go: fs.StringVar(&cfg.name, "name", ...)
ETCD_HELP_FLAG = re.compile(r"^\s+--([a-z0-9][a-z0-9.-]*)", re.MULTILINE)
ETCD_REGISTERED = re.compile(r'fs\.\w+\([^"\n]*"([a-z0-9][a-z0-9.-]*)"')


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def _release_commits(repo: Path, component: str) -> dict[int, str]:
    """The last commit of each minor's reference page, by the minor its subject names."""
    log = _git(repo, "log", "--format=%H %s", "--", PAGES.format(component=component))
    out: dict[int, str] = {}
    for line in log.splitlines():
        commit, _, subject = line.partition(" ")
        found = re.search(r"\b(?:v)?1\.(\d+)\b", subject)
        if found and "reference" in subject.lower() and int(found[1]) in KUBE_MINORS:
            out.setdefault(int(found[1]), commit)  # the log is newest first
    return out


def _page_flags(page: str) -> tuple[set[str], set[str]]:
    """The flags of a reference page, and those of them its description calls deprecated."""
    rows = PAGE_FLAG.split(page)[1:]  # name, the text up to the next flag's row, ...
    names = set(rows[0::2])
    deprecated = {name for name, text in zip(rows[0::2], rows[1::2], strict=True)
                  if "DEPRECATED" in text}
    return names, deprecated


def kube_flags(repo: Path, component: str) -> tuple[dict[str, set[str]], set[str]]:
    """The flags of each minor, and those deprecated where first seen."""
    versions: dict[str, set[str]] = {}
    deprecated: dict[str, set[str]] = {}
    for minor, commit in sorted(_release_commits(repo, component).items()):
        page = _git(repo, "show", f"{commit}:{PAGES.format(component=component)}")
        stated = PAGE_MINOR.search(page)
        if stated and int(stated[1]) != minor:
            raise SystemExit(f"{component} at {commit[:10]} is 1.{stated[1]}, not 1.{minor}")
        versions[f"1.{minor}"], deprecated[f"1.{minor}"] = _page_flags(page)
    for path in sorted(TRANSCRIBED.glob(f"{component}-1.*.txt")):
        version = path.stem.removeprefix(f"{component}-")
        rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
        versions.setdefault(version, {row[0] for row in rows})
        deprecated.setdefault(version, {row[0] for row in rows if row[1:] == ["deprecated"]})
    ordered = sorted(versions, key=_key)
    first_seen = {flag: next(v for v in ordered if flag in versions[v])
                  for flag in set().union(*versions.values())}
    return versions, {flag for flag, v in first_seen.items() if flag in deprecated[v]}


def _newest_tag(repo: Path, minor: str) -> str:
    tags = _git(repo, "tag", "--list", f"v{minor}.*").split()
    releases = [t for t in tags if re.fullmatch(rf"v{re.escape(minor)}\.\d+", t)]
    return max(releases, key=lambda t: int(t.rsplit(".", 1)[1]))


def etcd_flags(repo: Path) -> dict[str, set[str]]:
    """The flags of each minor's newest release: those its --help prints (help.go) and
    those its flag set registers (config.go), so the list is the binary's whole list."""
    versions: dict[str, set[str]] = {}
    for minor in ETCD_MINORS:
        tag = _newest_tag(repo, minor)
        files = [f for f in _git(repo, "ls-tree", "-r", "--name-only", tag).split()
                 if re.search(ETCD_SOURCES, f)]
        text = "".join(_git(repo, "show", f"{tag}:{f}") for f in files)
        versions[minor] = set(ETCD_HELP_FLAG.findall(text)) | set(ETCD_REGISTERED.findall(text))
    return versions


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def spans(versions: dict[str, set[str]]) -> dict[str, list[str]]:
    """Each flag's first and last version among those read."""
    ordered = sorted(versions, key=_key)
    out: dict[str, list[str]] = {}
    for flag in sorted(set().union(*versions.values())):
        have = [v for v in ordered if flag in versions[v]]
        out[flag] = [have[0], have[-1]]
    return out


def extract(website: Path, etcd: Path) -> dict[str, object]:
    components: dict[str, object] = {}
    for component in KUBE_COMPONENTS:
        versions, hidden = kube_flags(website, component)
        # a page lists every flag but those pflag hides as deprecated: never the whole list
        components[component] = _entry(versions, complete=[], hidden_before=hidden)
    etcd_versions = etcd_flags(etcd)
    components["etcd"] = _entry(etcd_versions, complete=list(etcd_versions), hidden_before=set())
    return {
        "sources": {
            **{c: f"kubernetes/website {PAGES.format(component=c)}" for c in KUBE_COMPONENTS},
            "etcd": "etcd-io/etcd v3.N.x: server/etcdmain/help.go and the config.go flag sets",
        },
        "components": components,
    }


def _entry(versions: dict[str, set[str]], complete: list[str], hidden_before: set[str]
           ) -> dict[str, object]:
    return {"versions": sorted(versions, key=_key), "complete": sorted(complete, key=_key),
            "hidden_before": sorted(hidden_before), "flags": spans(versions)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--website", type=Path, required=True,
                        help="a git clone of kubernetes/website, with its history")
    parser.add_argument("--etcd", type=Path, required=True,
                        help="a git clone of etcd-io/etcd, with its tags")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the shipped file differs")
    args = parser.parse_args()
    text = json.dumps(extract(args.website, args.etcd), separators=(",", ":"),
                      sort_keys=True) + "\n"
    if args.check:
        same = SHIPPED.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{SHIPPED} differs")
        return 0 if same else 1
    SHIPPED.write_text(text, encoding="utf-8")
    print(f"wrote {SHIPPED} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

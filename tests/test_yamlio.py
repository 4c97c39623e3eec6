"""The YAML reader: plain documents are built straight from the parser's events and must
equal what PyYAML's SafeLoader builds; anything else takes the full loader, where the
alias-bomb and nesting defences stay."""

from __future__ import annotations

from pathlib import Path

import corpus as c
import pytest
import yaml
from conftest import Factory

from kexplore.core.pki import DecodeError
from kexplore.core.read.read_kubeconfig import decode_kubeconfig
from kexplore.core.read.yamlio import _NOT_PLAIN, _load_plain, load_yaml

PLAIN = [
    "a: 1\nb: 0x1f\nc: 0o17\nd: 017\ne: 1_000\nf: 1:20\ng: -3\n",
    "a: 1.5\nb: .inf\nc: -.Inf\nd: 6.8523015e+5\ne: 1e3\n",
    "a: yes\nb: No\nc: on\nd: OFF\ne: true\nf: ~\ng: null\nh:\ni: ''\n",
    "a: 2001-12-14t21:59:43.10-05:00\nb: 2002-12-14\nc: '2002-12-14'\n",
    "? plain key\n: v\n1: int key\n2.5: float key\ntrue: bool key\n~: null key\n",
    "list: [a, 'b', \"c\\u263a\", {x: y}, [1, [2, [3]]]]\nempty: {}\nnone: []\n",
    "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "dup: 1\ndup: 2\n",
    "- top\n- level\n- list\n",
    "just a scalar\n",
    "--- \na: 1\n...\n",
    '{"json": ["flow", 1, null, true]}',
    "",
    "# only a comment\n",
]
NOT_PLAIN = [
    "a: &x [1, 2]\nb: *x\n",
    "base: &b {k: v}\nd:\n  <<: *b\n  o: 1\n",
    "bin: !!binary aGVsbG8=\n",
    "s: !!str 1\n",
    "? [complex, key]\n: v\n",
    "set: !!set {a, b}\n",
    "one\n---\ntwo\n",
]


@pytest.mark.parametrize("text", PLAIN)
def test_a_plain_document_is_what_safe_loader_builds(text: str) -> None:
    built = _load_plain(text)
    assert built is not _NOT_PLAIN
    assert built == yaml.safe_load(text)
    assert load_yaml(text.encode()) == built


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_anything_else_takes_the_full_loader(text: str) -> None:
    assert _load_plain(text) is _NOT_PLAIN
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        with pytest.raises(DecodeError):
            load_yaml(text.encode())
        return
    assert load_yaml(text.encode()) == expected


def test_every_generated_document_reads_as_safe_loader_reads_it(make_tree: Factory) -> None:
    root = make_tree()
    documents = [p for p in root.rglob("*") if p.suffix in (".yaml", ".conf")]
    assert len(documents) >= 9  # five kubeconfigs, four static pods
    for path in documents:
        text = path.read_text()
        assert load_yaml(text.encode()) == yaml.safe_load(text), path


def large_kubeconfig(clusters: int) -> bytes:
    lines = ["apiVersion: v1", "kind: Config", "clusters:"]
    for i in range(clusters):
        lines += [f"- name: c{i}", "  cluster:", f"    server: https://{i}"]
    return ("\n".join(lines) + "\n").encode()


def test_a_1_mb_kubeconfig_of_20000_clusters_is_no_alias_bomb() -> None:
    data = large_kubeconfig(20_000)
    assert 0.9e6 < len(data) <= 1 << 20  # under the scanner's read cap
    info = decode_kubeconfig(data)
    assert len(info.clusters) == 20_000 and not info.problems
    assert info.clusters[-1].server == "https://19999"


def test_a_large_document_with_a_harmless_anchor_is_accepted() -> None:
    # the full loader's path: 120,000 nodes of its own, and one alias adding a few
    data = large_kubeconfig(20_000) + b"anchored: &a {x: 1}\nagain: *a\n"
    assert load_yaml(data)["again"] == {"x": 1}


def test_the_alias_bomb_and_deep_nesting_stay_refused() -> None:
    with pytest.raises(DecodeError, match="alias"):
        load_yaml(c.ALIAS_BOMB)
    with pytest.raises(DecodeError):
        load_yaml(b"[" * 10_000)


def test_a_file_that_does_not_parse_says_why_as_before(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match=r"invalid YAML: .*line 2"):
        load_yaml(b"a: 1\n b: [\n")

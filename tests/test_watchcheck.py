"""`check --watch` on a real folder with the real watcher: a fault appears, it is printed."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from conftest import NOW, Factory

from kexplore.cli import build_parser
from kexplore.commands import render_check
from kexplore.watchcheck import INTERRUPTED, UNREADABLE, watch_check

WAIT = 10.0
SCHEDULER = "manifests/kube-scheduler.yaml"


class Buffer(io.StringIO):
    """A StringIO two threads may share: one writes, the test reads."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def write(self, s: str) -> int:
        with self.lock:
            return super().write(s)

    def text(self) -> str:
        with self.lock:
            return self.getvalue()


def _args(root: Path, *extra: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(
        ["check", str(root), "--now", NOW.isoformat(), "--watch", *extra]
    )


def _wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"not within {WAIT} s: {what}")


def _in_thread(target: Callable[[], int]) -> tuple[threading.Thread, list[int]]:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(target()), name="watch-check")
    thread.start()
    return thread, result


def _documents(text: str) -> list[object]:
    decoder, docs, index = json.JSONDecoder(), [], 0
    while text[index:].strip():
        index += len(text[index:]) - len(text[index:].lstrip())
        doc, index = decoder.raw_decode(text, index)
        docs.append(doc)
    return docs


def _headers(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("── ")]


def test_a_new_fault_is_printed_then_stop(writable_tree: Factory) -> None:
    root = writable_tree()
    out, err, stop = Buffer(), Buffer(), threading.Event()
    thread, result = _in_thread(
        lambda: watch_check(_args(root), render_check, stop_event=stop, out=out, err=err)
    )
    try:
        _wait_for(lambda: len(_headers(out.text())) == 1, "the first printout")
        first = out.text()
        assert "watching" in _headers(first)[0]
        assert "manifest-leader-elect" not in first
        time.sleep(1.2)  # past the watcher's first idle check: it is surely armed

        # a write that changes no finding prints nothing
        (root / "notes.txt").write_text("hello")
        time.sleep(0.5)
        assert len(_headers(out.text())) == 1
        path = root / SCHEDULER
        path.write_text(path.read_text().replace("--leader-elect=true", "--leader-elect=false"))
        _wait_for(lambda: len(_headers(out.text())) == 2, "the second printout")
        second = out.text()[len(first):]
        assert f"{SCHEDULER} changed: 1 new" in _headers(second)[0]
        assert "manifest-leader-elect" in second
        time.sleep(0.5)
        assert len(_headers(out.text())) == 2  # one printout per change of findings
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert result == [0]  # a warning, no error: the exit code of a plain check


def test_json_keeps_stdout_a_sequence_of_documents(writable_tree: Factory) -> None:
    root = writable_tree()
    out, err = Buffer(), Buffer()
    thread, result = _in_thread(
        lambda: watch_check(_args(root, "--format", "json"), render_check, max_updates=1,
                            out=out, err=err)
    )
    try:
        _wait_for(lambda: len(_headers(err.text())) == 1, "the first printout")
        time.sleep(1.2)
        (root / "pki/sa.pub").unlink()
    finally:
        thread.join(timeout=WAIT)
    assert not thread.is_alive()
    docs = _documents(out.text())
    assert len(docs) == 2
    assert len(_headers(err.text())) == 2
    assert result and result[0] in (0, 1)


def test_a_root_that_cannot_be_read_at_start(tmp_path: Path) -> None:
    err = Buffer()
    code = watch_check(_args(tmp_path / "nope"), render_check, out=Buffer(), err=err)
    assert code == UNREADABLE
    assert "nope" in err.text()


def test_ctrl_c_returns_130(writable_tree: Factory) -> None:
    root = writable_tree()

    def interrupted(args):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # as Ctrl-C would, at the first re-render

    calls = {"n": 0}

    def render(args):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return render_check(args) if calls["n"] == 1 else interrupted(args)

    out, stop = Buffer(), threading.Event()
    thread, result = _in_thread(
        lambda: watch_check(_args(root), render, stop_event=stop, out=out, err=Buffer())
    )
    try:
        _wait_for(lambda: len(_headers(out.text())) == 1, "the first printout")
        time.sleep(1.2)
        (root / "pki/sa.pub").unlink()
        _wait_for(lambda: bool(result), "watch_check to return")
    finally:
        stop.set()
        thread.join(timeout=5)
    assert result == [INTERRUPTED]


def test_a_rotation_outside_the_tree_is_printed(tmp_path: Path) -> None:
    """`check --watch --node-root`: the kubelet's rotation onto an expired pair reprints,
    and the findings printed are the node's as well as the tree's (a plain check's)."""
    from conftest import FAST
    from test_live_node_files import rotate

    from kexplore.commands import _node_files_now
    from kexplore.core.generate_node import generate_node_root

    node = tmp_path / "node"
    generate_node_root(node, FAST, NOW)
    args = _args(node / "etc/kubernetes", "--node-root", str(node), "--format", "json")
    out, err, stop = Buffer(), Buffer(), threading.Event()
    thread, result = _in_thread(lambda: watch_check(
        args, render_check, stop_event=stop, out=out, err=err, max_updates=1,
        node_files=lambda tree: _node_files_now(args, tree)))
    try:
        _wait_for(lambda: len(_headers(err.text())) == 1, "the first printout")
        rotate(node, ("kubelet-client-expired",), "2026-11-30-10-00-00")
        thread.join(WAIT)
    finally:
        stop.set()
        thread.join(WAIT)
    assert result == [1]
    first, second = _documents(out.text())
    assert [f["rule"] for f in first["findings"]] == []  # type: ignore[index]
    assert [f["rule"] for f in second["findings"]] == ["kubelet-client-expired"]  # type: ignore[index]

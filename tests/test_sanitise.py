"""Nothing from the tree acts on the terminal: every face, fed file names and certificate
fields full of escape sequences, controls, bidi overrides, NUL and markup, writes none of
them raw and shows each name as written, escaped."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import hostile_names as h
import pytest
from conftest import NOW
from pilots import recorded_toasts
from rich.segment import ControlType, Segment
from rich.text import Text
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import DataTable

from kexplore.cli import build_parser, main
from kexplore.core import terminal
from kexplore.core.names import escape_segments, printable
from kexplore.ui import format as fmt
from kexplore.ui.app import KexploreApp
from kexplore.ui.views.certificate import CertificateView
from kexplore.watchcheck import watch_check

SIZE = (160, 45)
WAIT = 10.0


@pytest.fixture
def hostile(writable_tree: Callable[..., Path]) -> h.Hostile:
    return h.plant(writable_tree())


def assert_inert(stream: str) -> None:
    """Only the renderer's own sequences and printable text: no planted byte survives."""
    for raw in h.RAW:
        assert raw not in stream, f"{raw!r} reached the terminal"
    assert h.unprintable(h.residue(stream)) == []


# --- the sanitiser itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]0;t\x07", "\\x1b]0;t\\x07"),
        ("a\x9bb\x9dc\x7f", "a\\x9bb\\x9dc\\x7f"),
        ("\u202eevil\u2066", "\\u202eevil\\u2066"),
        ("nul\x00", "nul\\x00"),
        ("line\u2028sep", "line\\u2028sep"),
        ("bad\udcffbyte", "bad\\xffbyte"),
        ("[b]ca.crt ok é 漢", "[b]ca.crt ok é 漢"),
    ],
)
def test_printable_escapes_what_acts_and_keeps_what_reads(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_escape_segments_leaves_renderer_controls_and_escapes_text() -> None:
    control = Segment("\x1b[2J", None, [(ControlType.ERASE_IN_LINE, 2)])
    out = escape_segments([Segment("a\x1b[6nb"), control, Segment("\n")])
    assert [s.text for s in out] == ["a\\x1b[6nb", "\x1b[2J", "\n"]


def test_clean_keeps_styles_while_escaping() -> None:
    text = Text("ok ") + Text("\x1b[2Jname", style="bold") + Text(" end", style="red")
    cleaned = fmt.clean(text)
    assert cleaned.plain == "ok \\x1b[2Jname end"
    assert [(s.start, s.end, str(s.style)) for s in cleaned.spans] == [
        (3, 14, "bold"), (14, 18, "red")]


# --- the headless commands --------------------------------------------------------------

COMMANDS = [
    ["check"], ["check", "--format", "json"], ["check", "--format", "junit"],
    ["check", "--profile", "all"], ["certs"], ["certs", "--format", "json"],
    ["diff"], ["diff", "--format", "json"], ["diff", "--format", "unified"],
    ["certs", "--format", "prometheus"], ["certs", "--format", "kubeadm-json"],
    ["inventory"], ["compare"], ["compare", "--format", "json"],
    ["connections"], ["connections", "--format", "json"],
]


@pytest.mark.parametrize("styled", [False, True], ids=["pipe", "terminal"])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_writes_no_raw_control_byte(
    hostile: h.Hostile, command: list[str], styled: bool,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(terminal, "is_terminal", lambda: styled)
    nodes = [str(hostile.root)] * (2 if command[0] == "compare" else 1)
    clock = [] if command[0] == "diff" else ["--now", NOW.isoformat()]  # a diff does not age
    main([command[0], *nodes, *command[1:], *clock])
    out, err = capsys.readouterr()
    assert_inert(out)
    assert_inert(err)


def test_certs_lists_every_planted_name_as_written(
    hostile: h.Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["certs", str(hostile.root), "--now", NOW.isoformat()])
    out = capsys.readouterr().out
    for path in hostile.paths[:-1]:
        assert printable(path) in out  # `pki/[b]ca.crt` too: markup is never read
    main(["certs", str(hostile.root), "--now", NOW.isoformat(), "--format", "json"])
    rows = json.loads(capsys.readouterr().out)["certificates"]
    assert {r["path"] for r in rows} >= set(hostile.paths[:-1])  # JSON escapes, data is exact


def test_watch_header_names_a_hostile_file_escaped(hostile: h.Hostile) -> None:
    args = build_parser().parse_args(
        ["check", str(hostile.root), "--now", NOW.isoformat(), "--watch"])
    out, stop, codes = io.StringIO(), threading.Event(), []
    from kexplore.commands import render_check

    thread = threading.Thread(target=lambda: codes.append(watch_check(
        args, render_check, stop_event=stop, max_updates=1, out=out, err=io.StringIO())))
    thread.start()
    try:
        _wait(lambda: "watching" in out.getvalue())
        (hostile.root / "pki" / f"{h.OSC_TITLE}new.key").write_text("not a key")
        _wait(lambda: out.getvalue().count("──") >= 4)
    finally:
        stop.set()
        thread.join(WAIT)
    text = out.getvalue()
    assert_inert(text)
    assert printable(f"pki/{h.OSC_TITLE}new.key") in text


def test_watch_goes_on_when_a_name_is_not_utf8(hostile: h.Hostile) -> None:
    """watchfiles cannot decode such a name and ends its batch with an error: the watch
    reads the tree again and goes on, instead of ending in a traceback."""
    args = build_parser().parse_args(
        ["check", str(hostile.root), "--now", NOW.isoformat(), "--watch"])
    out, err, stop, codes = io.StringIO(), io.StringIO(), threading.Event(), []
    from kexplore.commands import render_check

    def run() -> None:
        codes.append(watch_check(args, render_check, stop_event=stop, max_updates=2,
                                 out=out, err=err))

    thread = threading.Thread(target=run)
    thread.start()
    try:
        _wait(lambda: "watching" in out.getvalue())
        bad = bytes(hostile.root / "pki") + b"/bad\xff\x9b6n.key"
        with open(bad, "wb") as f:
            f.write(b"not a key")
        _wait(lambda: "bad" in out.getvalue() or not thread.is_alive())
        (hostile.root / "pki" / "after.key").write_text("not a key either")
        _wait(lambda: "after.key" in out.getvalue() or not thread.is_alive())
    finally:
        stop.set()
        thread.join(WAIT)
    assert codes, "the watch ended in an error"
    assert printable("pki/bad\udcff\udc9b6n.key") in out.getvalue()
    assert_inert(out.getvalue())


def _wait(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# --- the explorer, through a driver that keeps what it would write ----------------------

pytest_anyio = pytest.mark.anyio


class Capture(HeadlessDriver):
    """The headless driver, except that the app renders into it as into a terminal."""

    stream: list[str]

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        type(self).stream.append(data)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest_anyio
async def test_every_explorer_face_shows_names_escaped_and_writes_nothing_raw(
    hostile: h.Hostile,
) -> None:
    Capture.stream = []
    app = KexploreApp(hostile.root, now=NOW, watch=True, root_label=str(hostile.root))
    app.driver_class = Capture
    toasts = recorded_toasts(app)
    async with app.run_test(headless=False, size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.session is not None:
                break
        await pilot.pause(0.1)
        shown = _screen(app)
        for name in hostile.shown:  # the tree, the overview's certificates table
            assert name.split("/")[-1] in shown
        header = _screen(app, "#status")
        assert any(name in header for name in hostile.shown)  # the soonest expiry
        for path in hostile.paths:  # each file's view and its title
            app.main.jump(path)
            await pilot.pause(0.1)
            title = _screen(app, ".view-title")
            assert printable(path) in title
            if isinstance(app.main.view, CertificateView):
                assert printable(h.CN) in title
                app.main.query_one(".fields", DataTable).focus()
                await pilot.press("c")  # the subject: the clipboard and the toast hold it
        await pilot.press("ctrl+p")
        await pilot.press(*"Open pki/[b]")
        await pilot.pause(0.5)
        palette = _screen(app)
        assert "Open pki/[b]ca.crt" in palette
        await pilot.press("escape")
        planted = hostile.root / "pki" / f"{h.CLEAR}{h.BIDI}late.crt"
        planted.write_bytes((hostile.root / hostile.paths[1]).read_bytes())
        for _ in range(200):
            await pilot.pause(0.05)
            if any("late.crt" in t for t in toasts):
                break
        await pilot.pause(0.2)
        assert any(printable("pki/" + planted.name) in t for t in toasts), toasts
    assert toasts and all(t == printable(t) for t in toasts)
    stream = "".join(Capture.stream)
    assert_inert(stream)
    copied = h.clipboard(stream)
    # the subject as RFC 4514 writes it (`;` and NUL escaped), then escaped as printable
    assert any("OWNED\\x07soon\\x1b[2J\\u202e[b]cn[/b]" in text for text in copied), copied
    assert all(text == printable(text) for text in copied)


def _screen(app: KexploreApp, selector: str = "*") -> str:
    """What the widgets matching `selector` hold, as plain text."""
    from textual.widgets import OptionList, Static, Tree

    parts: list[str] = []
    for screen in app.screen_stack:
        for widget in screen.query(selector):
            if isinstance(widget, DataTable):
                for row in range(widget.row_count):
                    parts += [getattr(c, "plain", str(c)) for c in widget.get_row_at(row)]
            elif isinstance(widget, Tree):
                stack = [widget.root]
                while stack:
                    node = stack.pop()
                    parts.append(node.label.plain)
                    stack.extend(node.children)
            elif isinstance(widget, Static):
                content = widget.content
                code = getattr(content, "code", None)  # a Syntax: the YAML and diff tabs
                parts.append(code if isinstance(code, str) else
                             getattr(content, "plain", str(content)))
            elif isinstance(widget, OptionList):  # the palette's hits
                parts += [getattr(o.prompt, "plain", str(o.prompt)) for o in widget.options]
    return "\n".join(parts)


@pytest_anyio
async def test_a_long_name_keeps_the_header_one_line(writable_tree: Callable[..., Path]) -> None:
    """The soonest expiry names its certificate in the header: a path of thousands of
    characters is cut in its middle there, or the header would fill the screen."""
    import corpus as c

    root = writable_tree()
    deep = root.joinpath(*["d" * 200] * 6)
    deep.mkdir(parents=True)
    key = c.ec_key(33)
    (deep / "soon.crt").write_bytes(c.cert_pem(c.make_cert("soon", key, days=2)))
    app = KexploreApp(root, now=NOW, root_label="/etc/kubernetes")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.session is not None:
                break
        await pilot.pause(0.1)
        header = _screen(app, "#status")
        assert "…/soon.crt" in header and len(header) < SIZE[0]
        assert app.main.query_one("#status").size.height == 1


@pytest_anyio
async def test_a_search_for_markup_shows_it_as_typed(hostile: h.Hostile) -> None:
    """A needle pasted from a name (`[b]cn[/b]` is the planted subject) is text: the
    search's title shows it as typed, and a lone closing tag does not stop the explorer."""
    from textual.widgets import TabbedContent

    from kexplore.ui.widgets.search import SearchableText

    app = KexploreApp(hostile.root, now=NOW, root_label=str(hostile.root))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.session is not None:
                break
        app.main.jump("manifests/kube-apiserver.yaml")
        await pilot.pause(0.1)
        app.main.query_one("#mf-tabs", TabbedContent).active = "mf-yaml"
        await pilot.pause()
        text = app.main.query_one(SearchableText)
        for needle in ("[b]kube", "[/b]x"):
            text.focus()
            await pilot.press("slash", *needle, "enter")
            await pilot.pause()
            title = text.border_subtitle
            assert needle in getattr(title, "plain", str(title)), title
            await pilot.press("slash", "escape")
    assert app.return_code in (None, 0)

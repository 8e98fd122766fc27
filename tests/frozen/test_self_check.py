"""The self-test's checks and report, without building the bundle (fast)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mjdesk.core.paths import resources_dir
from mjdesk.core.self_check import (
    SAMPLE_CSV,
    SAMPLE_XLSX,
    CheckFailed,
    Report,
    check_imports,
    check_resources,
    missing_module_reason,
    read_sample,
    required_modules,
    run_check,
)
from mjdesk.ui.preview.headless import prepare_environment


def test_a_missing_module_is_named() -> None:
    with pytest.raises(CheckFailed, match="missing module 'mjdesk_no_such_module'"):
        check_imports(["json", "mjdesk_no_such_module", "csv"])


def test_a_missing_submodule_is_named_with_what_needed_it() -> None:
    with pytest.raises(CheckFailed) as failed:
        check_imports(["email.mjdesk_no_such_part"])
    assert "missing module 'email.mjdesk_no_such_part'" in str(failed.value)


def test_a_package_that_fails_inside_names_the_innermost_cause() -> None:
    # as pandas reports a numpy that does not load
    try:
        try:
            import mjdesk_no_such_extension  # type: ignore[import-not-found]  # noqa: F401
        except ImportError as inner:
            raise ImportError("Unable to import required dependency numpy") from inner
    except ImportError as outer:
        reason = missing_module_reason(outer, "pandas")
    assert reason == "cannot import 'pandas': missing module 'mjdesk_no_such_extension'"


def test_extra_modules_come_from_the_environment() -> None:
    env = {"MJDESK_SELF_TEST_EXTRA_IMPORTS": " a.b , c ,"}
    modules = required_modules(["json"], env)
    assert modules[0] == "json"
    assert modules[-2:] == ["a.b", "c"]
    assert any(m.startswith("keyring.backends.") for m in modules)


def test_a_missing_resource_is_named(tmp_path: Path) -> None:
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "a.png").write_bytes(b"png")
    (tmp_path / "icons" / "empty.png").write_bytes(b"")
    assert "1 files present" in check_resources(tmp_path, ["icons/a.png"])
    with pytest.raises(CheckFailed, match=r"icons/empty\.png, samples/x\.csv$"):
        check_resources(tmp_path, ["icons/a.png", "icons/empty.png", "samples/x.csv"])


def test_the_runner_reports_every_kind_of_failure() -> None:
    def boom() -> str:
        raise ValueError("bad value")

    def gone() -> str:
        raise ModuleNotFoundError("No module named 'zzz'", name="zzz")

    lines: list[str] = []
    report = Report(lines.append)
    report.check("fine", lambda: "all good")
    report.check("broken", boom)
    report.check("import", gone)
    assert lines[0] == "ok: fine: all good"
    assert lines[1].startswith("FAIL: broken: ValueError: bad value at test_self_check.py:")
    assert lines[2] == "FAIL: import: missing module 'zzz'"
    assert report.summary() == "mjdesk self-test: 2 of 3 checks FAILED"
    assert run_check("x", lambda: "y").ok


def test_the_sample_has_ten_valid_contacts_of_twelve_rows() -> None:
    sample = read_sample(resources_dir() / SAMPLE_XLSX, resources_dir() / SAMPLE_CSV)
    assert (sample.rows, len(sample.contacts), sample.rejected) == (12, 10, 2)
    emails = [c.email for c in sample.contacts]
    assert "not-an-address" not in emails
    assert emails.count("ada.lovelace@york.ac.uk") == 1
    granted = [c for c in sample.contacts if c.consent is not None]
    assert len(granted) == 8
    assert granted[0].consent is not None
    assert granted[0].consent.source_row == 2


def test_the_environment_is_prepared_for_headless_webengine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    env: dict[str, str] = {"QTWEBENGINE_CHROMIUM_FLAGS": "--foo"}
    prepare_environment(env)
    assert env["QT_QPA_PLATFORM"] == "offscreen"
    assert env["QTWEBENGINE_CHROMIUM_FLAGS"] == "--foo --disable-gpu --log-level=3"
    again = dict(env)
    prepare_environment(again)
    assert again["QTWEBENGINE_CHROMIUM_FLAGS"] == "--foo --disable-gpu --log-level=3"
    on_a_desktop = {"DISPLAY": ":0"}
    prepare_environment(on_a_desktop)
    assert "QT_QPA_PLATFORM" not in on_a_desktop
    assert "QTWEBENGINE_CHROMIUM_FLAGS" not in on_a_desktop


def test_the_self_test_from_the_venv_names_a_missing_module(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MJDESK_SELF_TEST_EXTRA_IMPORTS": "mjdesk_no_such_module",
    }
    done = subprocess.run(
        [sys.executable, "-m", "mjdesk", "--self-test", str(tmp_path / "report.txt")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr[-2000:]
    assert "FAIL: imports: missing module 'mjdesk_no_such_module'" in done.stdout
    for check in ("resources", "certificates", "main window", "import", "preview", "keyring"):
        assert f"ok: {check}: " in done.stdout, done.stdout
    assert "1 of 7 checks FAILED" in done.stdout
    assert "FAIL: imports" in (tmp_path / "report.txt").read_text(encoding="utf-8")

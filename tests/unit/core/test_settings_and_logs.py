"""Settings files, log redaction, folder layout and argument handling."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mjdesk.app import build_parser
from mjdesk.core.logs import redact, register_secret, setup_logging
from mjdesk.core.paths import AppPaths, profile_slug
from mjdesk.core.settings import Settings


def test_settings_round_trip_and_atomic_write(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    Settings(last_profile="Dept", window_geometry="AAAA", extra={"k": "v"}).save(path)
    loaded = Settings.load(path)
    assert (loaded.last_profile, loaded.window_geometry, loaded.extra) == (
        "Dept",
        "AAAA",
        {"k": "v"},
    )
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp file left


@pytest.mark.parametrize(
    "content", ["", "{not json", "[1, 2]", '{"last_profile": 5, "unknown": "x"}']
)
def test_unreadable_settings_fall_back_to_defaults(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content, encoding="utf-8")
    assert Settings.load(path) == Settings()


def test_redaction_of_auth_headers_and_registered_secrets() -> None:
    register_secret("s3cr3t-value-123")
    line = "headers={'Authorization': 'Basic a2V5OnNlY3JldA=='} body s3cr3t-value-123 end"
    cleaned = redact(line)
    assert "a2V5OnNlY3JldA==" not in cleaned
    assert "s3cr3t-value-123" not in cleaned
    assert cleaned.count("[redacted]") == 2


def test_log_file_is_written_redacted(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "mjdesk.log"
    setup_logging(log_file)
    register_secret("another-secret-xyz")
    try:
        logging.getLogger("mjdesk.test").warning("calling with %s", "another-secret-xyz")
        try:
            raise ValueError("token another-secret-xyz rejected")
        except ValueError:
            logging.getLogger("mjdesk.test").exception("failed")
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = log_file.read_text(encoding="utf-8")
        assert "calling with [redacted]" in text
        assert "another-secret-xyz" not in text
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_mjdesk", False):
                logging.getLogger().removeHandler(handler)
                handler.close()
        logging.captureWarnings(False)


def test_data_dir_keeps_everything_under_it(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    for folder in (paths.data, paths.config, paths.logs, paths.workspace_file("Dept. news (US)")):
        assert folder.is_relative_to(tmp_path)
    assert paths.workspace_file("Dept. news (US)").name == "Dept.-news-US.sqlite3"


@pytest.mark.parametrize("bad", ["", "   ", "///", ".."])
def test_unusable_profile_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a usable profile name"):
        profile_slug(bad)


def test_arguments() -> None:
    args = build_parser().parse_args(
        ["--data-dir", "/tmp/x", "--profile", "Dept", "--api-url", "http://127.0.0.1:8123"]
    )
    assert (args.data_dir, args.profile, args.api_url) == (
        Path("/tmp/x"),
        "Dept",
        "http://127.0.0.1:8123/",
    )


@pytest.mark.parametrize("argv", [["--api-url", "ftp://x"], ["--profile", "//"], ["--nope"]])
def test_bad_arguments_exit_with_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 2
    assert "usage: mjdesk" in capsys.readouterr().err


def test_the_log_rotates_and_keeps_its_old_files(tmp_path: Path) -> None:
    from mjdesk.core.logs import RotatingFile

    path = tmp_path / "mjdesk.log"
    handler = RotatingFile(path, max_bytes=200, backups=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("mjdesk.rotation-test")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for n in range(40):
            logger.warning("line %02d %s", n, "x" * 20)
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mjdesk.log",
        "mjdesk.log.1",
        "mjdesk.log.2",
    ]
    assert "line 39" in path.read_text(encoding="utf-8")
    assert all(p.stat().st_size < 260 for p in tmp_path.iterdir())
    assert "line 00" not in "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())


def test_a_log_file_that_cannot_be_written_is_done_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening the log is made to fail as on a read-only folder (root could write anyway)."""
    from mjdesk.core.logs import RotatingFile

    def refuse(_self: RotatingFile) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(RotatingFile, "_open", refuse)
    try:
        problem = setup_logging(tmp_path / "logs" / "mjdesk.log")
        assert problem is not None
        assert "cannot be written (Permission denied); mjdesk works without it" in problem
        logging.getLogger("mjdesk.test").warning("no traceback for this line")
        assert not [h for h in logging.getLogger().handlers if getattr(h, "_mjdesk", False)]
    finally:
        logging.captureWarnings(False)

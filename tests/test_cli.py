"""Help text is product: every command has --help with an example; exit codes are documented."""

from __future__ import annotations

import typer.main
from typer.testing import CliRunner

import cli
from tests.conftest import run_mine

runner = CliRunner()


def _commands(group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append(path)
        if hasattr(command, "commands"):  # a group (typer vendors its own Click)
            found += _commands(command, path)
    return found


def test_every_command_has_help_with_an_example() -> None:
    group = typer.main.get_command(cli.app)
    commands = _commands(group)
    assert {("transcribe",), ("consent",), ("consent", "add"), ("consent", "check")} <= set(
        commands
    )
    for path in commands:
        result = runner.invoke(cli.app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Usage: mine" in result.output
        command = group
        for part in path:
            command = command.commands[part]  # type: ignore[attr-defined]
        if not hasattr(command, "commands"):
            assert "Example: mine " in result.output, path
            assert "-v, --verbose" in result.output, path


def test_top_level_help_and_version() -> None:
    result = run_mine("--help")
    assert result.returncode == 0 and "transcribe" in result.stdout and "consent" in result.stdout
    version = run_mine("--version")
    assert version.returncode == 0 and version.stdout.startswith("mine 0.")


def test_usage_errors_exit_2() -> None:
    assert run_mine("transcribe").returncode == 2  # no file given
    assert run_mine("transcribe", "x.wav", "--beam-size", "zero").returncode == 2
    bad = run_mine("transcribe", "x.wav", "--format", "docx")
    assert bad.returncode == 2 and "--format: invalid value 'docx'" in bad.stderr
    assert "json,txt,srt,vtt" in bad.stderr
    assert run_mine("frobnicate").returncode == 2


def _callbacks(app: typer.Typer) -> list:
    found = [c.callback for c in app.registered_commands]
    for group in app.registered_groups:
        found += _callbacks(group.typer_instance)
    return found


def test_every_settings_flag_names_a_setting_once() -> None:
    from pipeline.config import setting_keys

    seen = 0
    for command in _callbacks(cli.app):
        keys = set()
        for name, (mark, flag) in cli._setting_flags(command).items():
            assert mark.key in setting_keys(mark.section), (command, name)
            assert (mark.section, mark.key) not in keys, (command, name)
            assert flag.startswith("--") and "/" not in flag
            keys.add((mark.section, mark.key))
            seen += 1
    assert seen >= 25  # transcribe, terms and crawl


def test_a_bad_flag_value_is_named_by_its_flag() -> None:
    bad = run_mine("crawl", "site/", "--timeout", "0")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --timeout: invalid value 0.0")
    assert bad.stdout == ""


def test_names_in_messages_are_printed_as_they_are(tmp_path) -> None:
    """A file name that looks like rich markup or an emoji code is printed unchanged."""
    for name in ("call:smile:.wav", "call[bold]x[/bold].wav"):
        result = run_mine("transcribe", str(tmp_path / name))
        assert result.returncode != 0
        assert name in result.stderr, result.stderr


def test_redact_refuses_text_that_is_not_utf8(tmp_path) -> None:
    latin1 = tmp_path / "notes.txt"
    latin1.write_bytes("Bel café 06-12345678\n".encode("latin-1"))
    result = run_mine("redact", str(latin1))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {latin1}: not UTF-8 text (binary, or saved in another encoding); save it as "
        "UTF-8 and run mine redact again"
    ]

from pathlib import Path

import pytest

import settings


def test_defaults_need_nothing_running(monkeypatch):
    for name in ("HYPERBOUNTY_CHAIN", "HYPERBOUNTY_IPFS_API", "HYPERBOUNTY_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    resolved = settings.settings_from_env()
    assert resolved.chain == settings.EMBEDDED_CHAIN
    assert resolved.ipfs_api == ""
    assert resolved.is_dev_chain
    assert resolved.data_dir == settings.REPO_ROOT / ".hyperbounty"


def test_environment_overrides_and_paths_live_under_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("HYPERBOUNTY_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HYPERBOUNTY_CHAIN", "http://127.0.0.1:9999")
    resolved = settings.settings_from_env()
    assert not resolved.is_dev_chain
    log_file = resolved.path("logs", "anvil.log")
    assert log_file == tmp_path / "state" / "logs" / "anvil.log"
    assert Path(log_file).parent.is_dir()


def test_board_confirmations_and_password_file_from_the_environment(monkeypatch):
    for name in ("HYPERBOUNTY_BOARD", "HYPERBOUNTY_CONFIRMATIONS", "HYPERBOUNTY_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    defaults = settings.settings_from_env()
    assert (defaults.board, defaults.confirmations, defaults.password_file) == ("", 1, "")
    board = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
    monkeypatch.setenv("HYPERBOUNTY_BOARD", board)
    monkeypatch.setenv("HYPERBOUNTY_CONFIRMATIONS", "3")
    monkeypatch.setenv("HYPERBOUNTY_PASSWORD_FILE", "/run/secrets/hb")
    resolved = settings.settings_from_env()
    assert resolved.board == "0x5FbDB2315678afecb367f032d93F642f64180aa3"  # checksummed
    assert (resolved.confirmations, resolved.password_file) == (3, "/run/secrets/hb")


def test_a_malformed_board_or_confirmations_is_refused_in_words(monkeypatch):
    for bad in ("0x1234", "board"):
        monkeypatch.setenv("HYPERBOUNTY_BOARD", bad)
        with pytest.raises(ValueError, match=rf"^HYPERBOUNTY_BOARD='{bad}' is not an Ethereum address"):
            settings.settings_from_env()
    mistyped = "0x5fbDB2315678afecb367f032d93F642f64180aa3"  # one capital letter lost
    monkeypatch.setenv("HYPERBOUNTY_BOARD", mistyped)
    with pytest.raises(ValueError, match=rf"^HYPERBOUNTY_BOARD='{mistyped}' has a wrong checksum"):
        settings.settings_from_env()
    monkeypatch.delenv("HYPERBOUNTY_BOARD")
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("HYPERBOUNTY_CONFIRMATIONS", bad)
        with pytest.raises(ValueError, match=rf"^HYPERBOUNTY_CONFIRMATIONS='{bad}' is not a number"):
            settings.settings_from_env()

from pathlib import Path

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

"""Every setting is documented in the README, and settings are read from the environment."""

from __future__ import annotations

from pathlib import Path

from chiso.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert f"CHISO_{name.upper()}" in README, name


def test_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CHISO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHISO_UPLOAD_MAX_BYTES", "1000")
    monkeypatch.delenv("CHISO_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.url == f"sqlite:///{tmp_path.resolve() / 'chiso.sqlite3'}"
    assert settings.evidence_dir == tmp_path / "evidence" and settings.upload_max_bytes == 1000


def test_settings_given_to_other_processes_come_back_the_same(monkeypatch, tmp_path):
    given = Settings(_env_file=None, data_dir=tmp_path, web_workers=3, login_max_failures=7, secret_key="k")
    for name in Settings.model_fields:
        monkeypatch.delenv(f"CHISO_{name.upper()}", raising=False)
    for key, value in given.environment().items():
        monkeypatch.setenv(key, value)
    assert Settings(_env_file=None) == given

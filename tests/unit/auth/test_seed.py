"""infra/harness/seeds/10_accounts.py: three accounts, credentials written once, idempotent."""
import json
import os
import runpy
import stat
from pathlib import Path

from meridian.auth import verify_access_token

SEED = Path(__file__).resolve().parents[3] / "infra" / "seeds" / "10_accounts.py"


def _run(monkeypatch, state_dir, capsys):
    monkeypatch.setenv("MERIDIAN_STATE_DIR", str(state_dir))
    seed = runpy.run_path(str(SEED), run_name="seed")
    monkeypatch.setattr("infra.harness.config.STATE_DIR", state_dir)
    assert seed["FUNCTION"] == "AuthFunction"
    seed["main"]()
    return capsys.readouterr().out


def test_seed_creates_three_accounts_with_generated_passwords(auth, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("SEED_PASSWORD", raising=False)
    out = _run(monkeypatch, tmp_path, capsys)
    path = tmp_path / "credentials"
    credentials = json.loads(path.read_text())
    assert set(credentials) == {"superadmin@example.com", "admin@example.com", "customer@example.com"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for email, password in credentials.items():
        assert password in out  # printed once, at creation
        token = auth.login(email, password).json["access_token"]
        role = verify_access_token(token).role
        assert role == {"superadmin": "super_admin", "admin": "admin", "customer": "customer"}[email.split("@")[0]]
    again = _run(monkeypatch, tmp_path, capsys)
    assert "kept existing accounts" in again
    assert not any(p in again for p in credentials.values())  # not printed a second time
    assert json.loads(path.read_text()) == credentials


def test_seed_uses_seed_password(auth, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("SEED_PASSWORD", "from the environment 123")
    out = _run(monkeypatch, tmp_path, capsys)
    assert "from the environment 123" not in out
    assert auth.login("admin@example.com", "from the environment 123").status == 200
    assert json.loads((tmp_path / "credentials").read_text())["admin@example.com"] == "from the environment 123"

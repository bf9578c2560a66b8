"""Production settings: `check --deploy` is clean, secrets come only from the environment, DEBUG is off."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, env_overrides: dict, tmp_path) -> subprocess.CompletedProcess:
    # A clean environment: other tests may have set DJANGO_* variables (e.g. DJANGO_ALLOW_ASYNC_UNSAFE) in this process.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DEBUG") and not k.startswith("DJANGO_")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "churnops.settings.production",
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            **env_overrides,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    # given production settings with a random secret
    env = {"SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "churnops.example.com"}

    # when Django's deployment checks run, failing on warnings too
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=env, tmp_path=tmp_path)

    # then
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(tmp_path, missing):
    # given everything but one required variable
    env = {"SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "x"}
    env.pop(missing)

    # when
    result = manage("check", env_overrides=env, tmp_path=tmp_path)

    # then it fails fast, naming the variable
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_production_ignores_debug_from_the_environment(tmp_path):
    # given DEBUG=1 in the environment
    env = {"SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "x", "DEBUG": "1"}

    # when the settings are printed
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, len(s.AUTH_PASSWORD_VALIDATORS))",
        env_overrides=env,
        tmp_path=tmp_path,
    )

    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "True", "True", "True", "4"]

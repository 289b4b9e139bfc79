"""The example settings shipped for users stay valid."""

from pathlib import Path

from voice_server.config import load_config

EXAMPLE = Path(__file__).parents[2] / "voice_server" / "example.toml"


def test_example_settings_load_with_secrets_from_the_environment() -> None:
    config = load_config(
        EXAMPLE,
        {"IMAPROTECT_VOICE_TOKEN": "t" * 24, "IMAPROTECT_ARI_PASSWORD": "p" * 24},
    )
    assert config.port == 8099
    assert config.allowed_regions == ("FR",)
    assert config.calls.rounds == 2
    assert config.retention_days == 90
    assert (config.calls.code_pause, config.calls.code_lock_after) == (3.0, 6)
    assert config.calls.max_alert_age == 3600.0
    assert (config.tls_cert, config.tls_key) == (None, None)
    assert config.dialer() is not None
    assert config.smtp is None

"""The rules Home Assistant's hassfest and HACS apply to an integration, checked on every run.

hassfest itself runs on Home Assistant's own tree; these are its checks that matter for a custom
integration: manifest keys and their order, a translation (name and description) for every
action and every field, an icon for every action, translated selector options, fr and en with
the same keys and the same placeholders in each sentence, and a HACS manifest that names a
Home Assistant version the tests cover.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as ha_version
import yaml

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / "imaprotect"
MANIFEST = json.loads((INTEGRATION / "manifest.json").read_text())
SERVICES: dict[str, Any] = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
ICONS = json.loads((INTEGRATION / "icons.json").read_text())
STRINGS = {
    lang: json.loads((INTEGRATION / "translations" / f"{lang}.json").read_text())
    for lang in ("en", "fr")
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _leaves(tree: Any, path: str = "") -> dict[str, str]:
    if isinstance(tree, str):
        return {path: tree}
    leaves: dict[str, str] = {}
    for key, value in tree.items():
        leaves |= _leaves(value, f"{path}.{key}" if path else key)
    return leaves


def test_manifest_keys_and_order() -> None:
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    for key in ("codeowners", "config_flow", "documentation", "integration_type", "iot_class",
                "issue_tracker", "requirements", "version"):  # fmt: skip
        assert key in MANIFEST, key
    assert MANIFEST["iot_class"] in {"local_push", "local_polling", "cloud_push", "cloud_polling"}
    assert AwesomeVersion(MANIFEST["version"]).valid


def test_every_action_and_field_is_translated_and_has_an_icon() -> None:
    for lang, strings in STRINGS.items():
        translated = strings["services"]
        assert set(translated) == set(SERVICES), lang
        for action, spec in SERVICES.items():
            assert translated[action]["name"].strip(), (lang, action)
            assert translated[action]["description"].strip(), (lang, action)
            fields = set((spec or {}).get("fields", {}))
            assert set(translated[action].get("fields", {})) == fields, (lang, action)
            for field in fields:
                text = translated[action]["fields"][field]
                assert text["name"].strip(), (lang, action, field)
                assert text["description"].strip(), (lang, action, field)
    assert set(ICONS["services"]) == set(SERVICES)
    assert all(icon["service"].startswith("mdi:") for icon in ICONS["services"].values())


def test_selector_options_are_translated() -> None:
    for spec in SERVICES.values():
        for field in (spec or {}).get("fields", {}).values():
            select = field.get("selector", {}).get("select")
            if select and "translation_key" in select:
                for lang, strings in STRINGS.items():
                    options = strings["selector"][select["translation_key"]]["options"]
                    assert set(options) == set(select["options"]), lang


def test_french_and_english_say_the_same_things() -> None:
    english, french = (_leaves(STRINGS[lang]) for lang in ("en", "fr"))
    assert set(english) == set(french)
    for key, text in english.items():
        assert text.strip(), key
        assert set(_PLACEHOLDER.findall(text)) == set(_PLACEHOLDER.findall(french[key])), key


def test_icons_name_known_entities() -> None:
    entities = STRINGS["en"]["entity"]
    for platform, keys in ICONS["entity"].items():
        for key in keys:
            assert key in entities[platform], (platform, key)


def test_hacs_manifest() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert set(hacs) <= {
        "name", "content_in_root", "zip_release", "filename", "hide_default_branch", "country",
        "homeassistant", "persistent_directory", "render_readme",
    }  # fmt: skip
    assert hacs["name"] == MANIFEST["name"]
    # The oldest release a user may run is one the tests cover.
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion(ha_version)

"""The rules Home Assistant's hassfest and HACS apply to an integration, checked on every run.

hassfest itself runs on Home Assistant's own tree; these are its checks that matter for a custom
integration: manifest keys and their order, a translation (name and description) for every
action and every field, an icon for every action, translated selector options, fr and en with
the same keys and the same placeholders in each sentence, and a HACS manifest that names a
Home Assistant version the tests cover.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
from pathlib import Path
import re
from typing import Any, get_args

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.const import Platform, __version__ as ha_version
from homeassistant.loader import Manifest
import yaml

from custom_components.imaprotect.const import DOMAIN

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
        "homeassistant", "hacs", "persistent_directory", "render_readme",
    }  # fmt: skip
    assert hacs["name"] == MANIFEST["name"]
    # The oldest release a user may run is one the tests cover.
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion(ha_version)


# ---------------------------------------------------------------- hassfest's rules, generically
#
# Everything below reads the integration's files as they are, so that an action, a string, an
# icon or a manifest key another feature adds is held to the same rules without editing this.

_SOURCES = {path: path.read_text() for path in INTEGRATION.rglob("*.py")}
_CONST = vars(importlib.import_module("custom_components.imaprotect.const"))
# Keys Home Assistant's own flow helpers abort or fail with (the integration never names them).
_FROM_HOME_ASSISTANT = {"already_in_progress", "reauth_successful", "reconfigure_successful"}
_ENTITY_PLATFORMS = {platform.value for platform in Platform}


def _literals() -> set[str]:
    """Every identifier-like string literal of the integration's code."""
    found: set[str] = set()
    for text in _SOURCES.values():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    # A selector's translation_key in services.yaml names its strings too.
    found |= set(
        re.findall(r"translation_key:\s*(\w+)", (INTEGRATION / "services.yaml").read_text())
    )
    return found


def _prefixes() -> set[str]:
    """The constant heads of f-strings (``f"alarm_{kind}"`` gives ``alarm_``)."""
    found: set[str] = set()
    for text in _SOURCES.values():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if isinstance(head, ast.Constant) and isinstance(head.value, str) and head.value:
                    found.add(head.value)
    return found


def _resolve(node: ast.expr) -> str | None:
    """A literal string, or a constant of const.py; None for anything computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and isinstance(_CONST.get(node.id), str):
        return str(_CONST[node.id])
    return None


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _translation_keys_in_code() -> dict[str, set[str]]:
    """The translation keys the code names, by the translations' section they belong to."""
    keys: dict[str, set[str]] = {"exceptions": set(), "issues": set(), "selector": set()}
    for path, text in _SOURCES.items():
        platform = path.stem if path.stem in _ENTITY_PLATFORMS else None
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Assign) and platform:
                for target in node.targets:
                    if (
                        isinstance(target, ast.Name)
                        and target.id == "_attr_translation_key"
                        and (key := _resolve(node.value)) is not None
                    ):
                        keys.setdefault(f"entity.{platform}", set()).add(key)
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg != "translation_key" or (key := _resolve(keyword.value)) is None:
                    continue
                name = _call_name(node)
                if name.endswith(("Error", "Exception", "NotReady", "AuthFailed")):
                    keys["exceptions"].add(key)
                elif name == "async_create_issue":
                    keys["issues"].add(key)
                elif name.endswith("SelectorConfig"):
                    keys["selector"].add(key)
                elif name.endswith("EntityDescription") and platform:
                    keys.setdefault(f"entity.{platform}", set()).add(key)
    return keys


def _section(strings: dict[str, Any], dotted: str) -> dict[str, Any]:
    for part in dotted.split("."):
        strings = strings.get(part, {})
    return strings


def test_manifest_is_one_home_assistant_and_hassfest_accept() -> None:
    known = set(Manifest.__annotations__) - {"is_built_in", "overwrites_built_in"}
    assert set(MANIFEST) <= known, set(MANIFEST) - known
    assert MANIFEST["domain"] == INTEGRATION.name
    assert MANIFEST["name"].strip()
    assert MANIFEST["codeowners"]
    assert all(re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", owner) for owner in MANIFEST["codeowners"])
    for key in ("documentation", "issue_tracker"):
        assert MANIFEST[key].startswith("https://"), key
    assert MANIFEST["iot_class"] in {
        "assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling",
        "local_push",
    }  # fmt: skip
    assert MANIFEST["integration_type"] in get_args(Manifest.__annotations__["integration_type"])
    assert AwesomeVersion(MANIFEST["version"]).strategy != AwesomeVersionStrategy.UNKNOWN
    assert MANIFEST["config_flow"] is (INTEGRATION / "config_flow.py").exists()
    for dependency in MANIFEST.get("dependencies", []) + MANIFEST.get("after_dependencies", []):
        assert importlib.util.find_spec(f"homeassistant.components.{dependency}"), dependency
    for logger in MANIFEST.get("loggers", []):
        assert logger.strip(), logger


def test_hacs_manifest_types_and_brand() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert isinstance(hacs["name"], str)
    for key in ("content_in_root", "zip_release", "hide_default_branch", "render_readme"):
        assert isinstance(hacs.get(key, False), bool), key
    if hacs.get("zip_release"):
        assert hacs.get("filename", "").endswith(".zip")
    countries = hacs.get("country", [])
    for country in [countries] if isinstance(countries, str) else countries:
        assert re.fullmatch(r"[A-Z]{2}", country), country
    assert AwesomeVersion(hacs["homeassistant"]).strategy != AwesomeVersionStrategy.UNKNOWN
    # HACS (and Home Assistant's brands, since 2026.3) want the integration's icon.
    icon = INTEGRATION / "brand" / "icon.png"
    assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_registered_action_is_in_services_yaml() -> None:
    registered: set[str] = set()
    for text in _SOURCES.values():
        tree = ast.parse(text)
        # services.async_register_panel_action passes its caller's action on: its callers count.
        relay = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name == "async_register_panel_action"
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in relay:
                continue
            name, func = _call_name(node), node.func
            if name == "async_register_platform_entity_service":
                argument = node.args[2] if len(node.args) > 2 else None
            elif name == "async_register_panel_action" or (
                name in {"async_register", "async_register_admin_service"}
                and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "services"
            ):
                argument = node.args[1] if len(node.args) > 1 else None
            elif name == "async_register_entity_service":
                argument = node.args[0] if node.args else None
            else:
                continue
            assert argument is not None
            action = _resolve(argument)
            assert action is not None, "register actions under a literal or a const.py constant"
            registered.add(action)
    assert registered == set(SERVICES)


def test_services_yaml_leaves_its_words_to_the_translations() -> None:
    for action, spec in SERVICES.items():
        assert not {"name", "description"} & set(spec or {}), action
        for field, field_spec in (spec or {}).get("fields", {}).items():
            assert "selector" in field_spec, (action, field)
            assert not {"name", "description"} & set(field_spec), (action, field)
        target = (spec or {}).get("target", {}).get("entity", {})
        if target:
            entity_filters = target if isinstance(target, list) else [target]
            assert all(f.get("integration") == DOMAIN for f in entity_filters), action


def test_icons_are_well_formed() -> None:
    mdi = re.compile(r"mdi:[a-z0-9]+(-[a-z0-9]+)*")
    for action, icon in ICONS["services"].items():
        assert set(icon) <= {"service", "sections"}, action
        assert mdi.fullmatch(icon["service"]), action
    for platform, keys in ICONS.get("entity", {}).items():
        assert platform in _ENTITY_PLATFORMS, platform
        for key, icon in keys.items():
            assert mdi.fullmatch(icon["default"]), (platform, key)
            for state_icon in icon.get("state", {}).values():
                assert mdi.fullmatch(state_icon), (platform, key)
            for attribute in icon.get("state_attributes", {}).values():
                assert all(mdi.fullmatch(i) for i in attribute.get("state", {}).values())


def test_strings_hassfest_refuses() -> None:
    """No URL (a description placeholder instead), HTML, '{quoted}' placeholder or reference.

    A custom integration's translations are read as they are: a ``[%key:…]`` reference would
    show raw.
    """
    for lang, strings in STRINGS.items():
        for key, text in _leaves(strings).items():
            assert not re.search(r"https?://|www\.", text), (lang, key)
            assert not re.search(r"<[a-zA-Z/][^>]*>", text), (lang, key)
            assert not re.search(r"'\{\w+\}'", text), (lang, key)
            assert "[%key:" not in text, (lang, key)


def test_every_translation_key_the_code_names_exists() -> None:
    strings = STRINGS["en"]
    for section, keys in _translation_keys_in_code().items():
        missing = keys - set(_section(strings, section))
        assert not missing, (section, missing)
    for key, issue in strings.get("issues", {}).items():
        assert "title" in issue, key
        assert "description" in issue or "fix_flow" in issue, key
    for key, exception in strings.get("exceptions", {}).items():
        assert exception.get("message", "").strip(), key


def test_no_unused_strings() -> None:
    """Each string is named by the code: literally, or as the tail of an f-string's head.

    ``f"alarm_{kind}"`` with ``"intrusion"`` written somewhere makes ``alarm_intrusion`` used.
    """
    literals, prefixes = _literals(), _prefixes()

    def used(key: str) -> bool:
        return key in literals or any(
            key.startswith(head) and key[len(head) :] in literals for head in prefixes
        )

    strings = STRINGS["en"]
    sections = ["exceptions", "issues", "common", "config.error", "config.abort"]
    for kind in strings.get("config_subentries", {}):
        assert kind in literals, kind
        sections += [f"config_subentries.{kind}.error", f"config_subentries.{kind}.abort"]
    sections += [f"entity.{platform}" for platform in strings.get("entity", {})]
    sections += ["selector"]
    unused = {
        f"{section}.{key}"
        for section in sections
        for key in _section(strings, section)
        if not used(key) and key not in _FROM_HOME_ASSISTANT
    }
    assert not unused
    for step in strings["config"]["step"]:
        assert f"async_step_{step}" in "".join(_SOURCES.values()), step

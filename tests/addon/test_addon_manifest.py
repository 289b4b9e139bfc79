"""The add-on's files against the Supervisor's rules, and against the code that reads its options.

No Supervisor runs here (and no add-on linter): these are the rules the Supervisor applies when
it reads a repository (developers.home-assistant.io, "Add-on configuration"; its store and
options validation), written out as tests. Rules of this project come on top: the add-on's
version is the voice server's, its options are exactly those ``addon_options`` reads, with the
same limits, and each has a name and a description in English and in French.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml

from testkit.layout import REPO
from voice_server import addon_options
from voice_server.addon_options import OptionsError, parse_options

ADDON = REPO / "addon" / "imaprotect_voice"
CONFIG: dict[str, Any] = yaml.safe_load((ADDON / "config.yaml").read_text())
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
PROJECT_URL = "https://github.com/imaprotect/imaprotect"

#: The schema's type grammar (the Supervisor's documented types); ``?`` = optional.
_TYPE = re.compile(
    r"(?P<kind>bool|email|url|port|device(\(subsystem=[a-z]+\))?"
    r"|(?P<ranged>str|password|int|float)(\((?P<low>-?[0-9.]*),(?P<high>-?[0-9.]*)\))?"
    r"|match\((?P<pattern>.+)\)|list\((?P<choices>[^)]+)\))(?P<optional>\?)?"
)
_ARCHES = {"aarch64", "amd64"}  # armhf, armv7 and i386 are deprecated by the Supervisor
_SLUG = re.compile(r"[-_.A-Za-z0-9]+")
_STARTUP = {"initialize", "system", "services", "application", "once"}
_BOOT = {"auto", "manual", "manual_only"}
_MAPS = {
    "homeassistant_config", "addon_config", "ssl", "addons", "backup", "share", "media",
    "all_addon_configs", "data",
}  # fmt: skip


def _walk(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, str, int]]:
    """(dotted name, type, depth) of every leaf of ``schema``; a list holds one element type."""
    leaves = []
    for key, value in schema.items():
        element = value[0] if isinstance(value, list) else value
        if isinstance(element, dict):
            for name, kind, depth in _walk(element, f"{prefix}{key}."):
                leaves.append((name, kind, depth + 1))
        else:
            leaves.append((prefix + key, element, 1))
    return leaves


def _valid(kind: str, value: object) -> bool:
    """Whether ``value`` passes the schema type ``kind`` as the Supervisor checks it."""
    match = _TYPE.fullmatch(kind)
    assert match, kind
    low = float(match["low"]) if match["low"] else None
    high = float(match["high"]) if match["high"] else None
    if match["ranged"] in {"str", "password"}:
        return isinstance(value, str) and (low or 0) <= len(value) <= (high or 1e9)
    if match["ranged"] in {"int", "float"}:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return number and (low is None or value >= low) and (high is None or value <= high)  # type: ignore[operator]
    if match["kind"] == "bool":
        return isinstance(value, bool)
    if match["kind"] == "port":
        return type(value) is int and 1 <= value <= 65535
    if match["pattern"]:
        return re.fullmatch(match["pattern"], str(value)) is not None
    if match["choices"]:
        return str(value) in match["choices"].split("|")
    raise AssertionError(f"type {kind} not used by this add-on")


def test_the_repository_has_one_add_on_the_supervisor_finds() -> None:
    # The Supervisor takes every config.yaml/.yml/.json of the repository, outside dot folders
    # and rootfs, for an add-on: any other file of that name would be a broken add-on.
    found = [
        path.relative_to(REPO).as_posix()
        for path in REPO.rglob("config.*")
        if path.suffix in {".yaml", ".yml", ".json"}
        and not any(
            part.startswith(".") or part == "rootfs" for part in path.relative_to(REPO).parts
        )
    ]
    assert found == ["addon/imaprotect_voice/config.yaml"]
    repository = yaml.safe_load((REPO / "repository.yaml").read_text())
    assert set(repository) == {"name", "url", "maintainer"}
    assert all(isinstance(value, str) and value for value in repository.values())
    assert repository["url"].startswith("https://github.com/")
    assert repository["url"] == CONFIG["url"] == PROJECT_URL


def test_config_has_what_the_supervisor_requires() -> None:
    for key in ("name", "version", "slug", "description", "arch"):
        assert isinstance(CONFIG.get(key), str | list), key
        assert CONFIG[key], key
    assert _SLUG.fullmatch(CONFIG["slug"])
    assert set(CONFIG["arch"]) == _ARCHES
    assert len(CONFIG["arch"]) == len(_ARCHES)
    assert CONFIG["startup"] in _STARTUP
    assert CONFIG["boot"] in _BOOT
    # The image brings its own init (tini); SIP and RTP need the host's addresses and ports.
    assert CONFIG["init"] is False
    assert CONFIG["host_network"] is True
    assert "ports" not in CONFIG  # ignored with host_network
    assert all(entry["type"] in _MAPS for entry in CONFIG["map"])
    assert CONFIG["timeout"] in range(10, 301)
    # No prebuilt image yet: the Supervisor builds the Dockerfile (publishing one: a release step).
    assert "image" not in CONFIG


def test_the_version_is_the_voice_servers() -> None:
    # The image installs the voice server of exactly this version (Dockerfile, BUILD_VERSION).
    assert isinstance(CONFIG["version"], str)
    assert CONFIG["version"] == PROJECT["version"]
    assert f"\n## {CONFIG['version']}\n" in (ADDON / "CHANGELOG.md").read_text()


def test_every_schema_type_is_one_the_supervisor_knows_at_nesting_depth_two_at_most() -> None:
    leaves = _walk(CONFIG["schema"])
    assert leaves
    for name, kind, depth in leaves:
        assert isinstance(kind, str), name
        assert _TYPE.fullmatch(kind), f"{name}: {kind}"
        assert depth <= 2, name


def test_every_option_has_a_schema_entry_and_every_required_one_a_default() -> None:
    options, schema = CONFIG["options"], CONFIG["schema"]
    assert set(options) <= set(schema)
    for key, kind in schema.items():
        if isinstance(kind, str) and not kind.endswith("?"):
            assert key in options, f"{key} is required: it needs a default"
    for key, value in options.items():
        if isinstance(value, dict):
            assert set(value) <= set(schema[key]), key
            for sub, kind in schema[key].items():
                assert sub in value or kind.endswith("?"), f"{key}.{sub}"


def test_the_defaults_pass_their_types_but_the_token_the_user_must_give() -> None:
    failing = []
    for key, value in CONFIG["options"].items():
        kind = CONFIG["schema"][key]
        if isinstance(value, dict):
            failing += [f"{key}.{sub}" for sub, v in value.items() if not _valid(kind[sub], v)]
        elif isinstance(value, list):
            failing += [key for item in value if not _valid(kind[0], item)]
        elif not _valid(kind, value):
            failing.append(key)
    assert failing == ["voice_token"]


def test_the_options_are_exactly_those_the_add_on_reads() -> None:
    schema = CONFIG["schema"]
    assert set(schema) == addon_options._TOP
    assert set(schema["sip_trunk"]) == addon_options._TRUNK
    assert set(schema["smtp"]) == addon_options._SMTP
    assert set(schema["routes"][0]) == addon_options._ROUTE
    defaults = parse_options({**CONFIG["options"], "voice_token": "t" * 16})
    assert (defaults.trunk, defaults.smtp, defaults.station, defaults.routes) == (
        None,
        None,
        None,
        (),
    )
    assert defaults.api_port == CONFIG["options"]["api_port"]


@pytest.mark.parametrize(
    "name", [name for name, kind, _ in _walk(CONFIG["schema"]) if kind.startswith("int(")]
)
def test_number_limits_are_the_readers(name: str) -> None:
    match = _TYPE.fullmatch(CONFIG["schema"][name])
    assert match
    low, high = int(match["low"]), int(match["high"])
    base = {**CONFIG["options"], "voice_token": "t" * 16}
    for good in (low, high):
        assert getattr(parse_options({**base, name: good}), name) == good
    for bad in (low - 1, high + 1):
        with pytest.raises(OptionsError, match=f"^{name}: a whole number from {low} to {high}"):
            parse_options({**base, name: bad})


@pytest.mark.parametrize(
    ("name", "choices"),
    [("language", addon_options.LANGUAGES), ("log_level", addon_options.LOG_LEVELS),
     ("smtp.security", addon_options.SMTP_SECURITY)],
)  # fmt: skip
def test_choices_are_the_readers(name: str, choices: tuple[str, ...]) -> None:
    kinds = {leaf: kind for leaf, kind, _ in _walk(CONFIG["schema"])}
    assert kinds[name] == f"list({'|'.join(choices)})"


def test_every_secret_is_a_password_field() -> None:
    kinds = {leaf: kind for leaf, kind, _ in _walk(CONFIG["schema"])}
    secrets = [leaf for leaf in kinds if leaf.endswith(("token", "password"))]
    assert secrets == ["voice_token", "sip_trunk.password", "smtp.password"]
    assert all(kinds[leaf].startswith("password") for leaf in secrets)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_option_is_translated_and_nothing_else(language: str) -> None:
    translations = yaml.safe_load((ADDON / "translations" / f"{language}.yaml").read_text())
    assert set(translations) == {"configuration"}

    def names(table: dict[str, Any], prefix: str = "") -> list[str]:
        found = []
        for key, entry in table.items():
            assert set(entry) <= {"name", "description", "fields"}, prefix + key
            for text in (entry["name"], entry["description"]):
                assert isinstance(text, str), prefix + key
                assert text.strip(), prefix + key
            found.append(prefix + key)
            found += names(entry.get("fields", {}), f"{prefix}{key}.")
        return found

    groups = [
        key for key, value in CONFIG["schema"].items()
        if isinstance(value[0] if isinstance(value, list) else value, dict)
    ]  # fmt: skip
    expected = sorted([*(leaf for leaf, _, _ in _walk(CONFIG["schema"])), *groups])
    assert sorted(names(translations["configuration"])) == expected


def test_build_yaml_gives_a_base_for_each_architecture_without_a_registry_host() -> None:
    build = yaml.safe_load((ADDON / "build.yaml").read_text())
    assert set(build["build_from"]) == set(CONFIG["arch"])
    for image in build["build_from"].values():
        # owner/name:tag on Docker Hub: the first component names no host (no '.' or ':').
        assert re.fullmatch(r"[a-z0-9_-]+/[a-z0-9._-]+:[A-Za-z0-9._-]+", image), image
    assert set(build) <= {"build_from", "args", "labels", "squash"}


def test_the_pictures_are_pngs_of_the_recommended_sizes() -> None:
    for name, size in (("icon.png", (128, 128)), ("logo.png", (250, 100))):
        data = (ADDON / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        width, height = int.from_bytes(data[16:20]), int.from_bytes(data[20:24])
        assert (width, height) == size, name


def test_the_documentation_names_every_option() -> None:
    docs = (ADDON / "DOCS.md").read_text()
    for key in CONFIG["schema"]:
        assert f"`{key}`" in docs, key

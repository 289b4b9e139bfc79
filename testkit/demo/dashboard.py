"""The demo home's dashboard: a Lovelace dashboard (storage mode), Home Assistant's default one.

The alarm panel twice: as a tile with the arm modes (its state and buttons read in the homeowner's
words, « Marche totale »…, from the integration's state translations) and as the alarm panel card
with its keypad (whose chip and buttons the frontend takes from Home Assistant's generic texts).
Then the switches that simulate the detectors, what the alarm sees, the call-out's status, the
people (who is phoned, in which order, with which demo codes) and any photo the integration has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from testkit.demo.home import BuiltHome, Home
from testkit.ha_process import HaSocket

__all__ = ["ALARM_VIEW", "DASHBOARD", "dashboard", "save_dashboard"]

DASHBOARD = "imaprotect-demo"
"""The dashboard's address (Home Assistant wants a hyphen in it)."""
ALARM_VIEW = "alarme"
"""The view's path: the dashboard opens on ``/imaprotect-demo/alarme``."""


def _heading(text: str, icon: str) -> dict[str, Any]:
    return {"type": "heading", "heading": text, "icon": icon}


def _people(home: Home) -> str:
    """The people as a Markdown list: the demo's codes are there to be tried."""
    lines = []
    for person in home.people:
        line = "votre softphone" if person.line == "softphone" else "le téléphone simulé"
        called = (
            f"appelé·e en n° {person.call_position} sur {line},"
            f" code au téléphone {person.phone_code}"
            if person.call_position is not None
            else "pas appelé·e"
        )
        lines.append(f"- **{person.name}** : code clavier {person.code} ; {called}")
    return "\n".join(lines)


def dashboard(home: Home, built: BuiltHome, links: Mapping[str, str]) -> dict[str, Any]:
    """The Lovelace configuration of the home's view; ``links``: text → address, at the end."""
    panel = built.panel
    alarm = [
        _heading("Alarme", "mdi:shield-home"),
        {
            "type": "tile",
            "entity": panel,
            "vertical": False,
            "features": [
                {"type": "alarm-modes", "modes": ["armed_away", "armed_night", "disarmed"]}
            ],
            "grid_options": {"columns": "full"},
        },
        {"type": "alarm-panel", "entity": panel, "states": ["arm_away", "arm_night"]},
    ]
    detectors = [
        _heading("Simuler", "mdi:gesture-tap"),
        {
            "type": "entities",
            "title": "Ouvrez, bougez, enfumez",
            "show_header_toggle": False,
            "entities": [d.switch_entity for d in home.detectors],
        },
        _heading("Ce que l'alarme voit", "mdi:motion-sensor"),
        {
            "type": "entities",
            "entities": [
                *(built.detector_entity(d.key) for d in home.detectors),
                *(built.zone_entity(z.key, "armed") for z in home.zones),
                *(built.zone_entity(z.key, "alarm") for z in home.zones),
            ],
        },
    ]
    photos = [
        {"type": "picture-entity", "entity": entity_id}
        for entity_id in sorted(built.entities.values())
        if entity_id.startswith(("image.", "camera."))
    ]
    alert = [
        _heading("Alerte", "mdi:phone-alert"),
        {
            "type": "tile",
            "entity": built.alert,
            "name": "Appels",
            "grid_options": {"columns": "full"},
        },
        {"type": "tile", "entity": built.entity("voice_server"), "name": "Serveur vocal"},
        {"type": "tile", "entity": built.entity("alarm_event"), "name": "Dernière alarme"},
        *([_heading("Photos", "mdi:camera"), *photos] if photos else []),
        _heading("Personnes", "mdi:account-group"),
        {"type": "markdown", "content": _people(home)},
        {
            "type": "markdown",
            "content": " · ".join(f"[{text}]({url})" for text, url in links.items()),
        },
    ]
    return {
        "title": home.name,
        "views": [
            {
                "title": "Alarme",
                "path": ALARM_VIEW,
                "icon": "mdi:shield-home",
                "type": "sections",
                "max_columns": 3,
                "sections": [
                    {"type": "grid", "cards": alarm},
                    {"type": "grid", "cards": detectors},
                    {"type": "grid", "cards": alert},
                ],
            }
        ],
    }


async def save_dashboard(socket: HaSocket, title: str, config: dict[str, Any]) -> None:
    """Create the dashboard, save ``config`` in it and make it what everyone opens first."""
    await socket.command(
        "lovelace/dashboards/create",
        url_path=DASHBOARD,
        title=title,
        icon="mdi:shield-home",
        show_in_sidebar=True,
        require_admin=False,
        mode="storage",
    )
    await socket.command("lovelace/config/save", url_path=DASHBOARD, config=config)
    found = await socket.command("frontend/get_system_data", key="core")
    core = dict((found or {}).get("value") or {})
    await socket.command(
        "frontend/set_system_data", key="core", value={**core, "default_panel": DASHBOARD}
    )

"""How each alert kind is named to people, on the phone and in emails (fr, en)."""

KIND_NAMES: dict[str, dict[str, str]] = {
    "fr": {
        "intrusion": "intrusion",
        "smoke": "détection de fumée",
        "flood": "inondation",
        "tamper": "sabotage",
        "sos": "appel d'urgence",
        "fault": "défaut technique",
        "agent_request": "demande d'intervention d'un agent de sécurité",
        "home_offline": "perte de liaison avec l'alarme",
    },
    "en": {
        "intrusion": "intrusion",
        "smoke": "smoke detected",
        "flood": "flood",
        "tamper": "tampering",
        "sos": "emergency call",
        "fault": "technical fault",
        "agent_request": "request for a security agent",
        "home_offline": "alarm link lost",
    },
}

"""The demo's SIP account, so that a real softphone can register and be called by the voice server.

Added to the rendered configuration of the demo's Asterisk only (the shipped one takes no
registrations): one endpoint ``softphone`` with a digest password, an AOR that keeps the last
registration, and ``identify_by = auth_username``, so requests are matched to it only by the
username of a digest answer, never by the user a From header claims. That needs two modules the
shipped ``modules.conf`` leaves out: the registrar, and the user identifiers (which only ever
match endpoints that ask for them: every other endpoint keeps ``identify_by = ip``). The voice
server dials it as ``PJSIP/softphone``; unregistered, that call fails at once and the next
contact is phoned.
"""

from __future__ import annotations

from dataclasses import dataclass
import secrets
import string

from voice_server.asterisk_config import AsteriskPaths

__all__ = ["ACCOUNT", "DIAL", "SoftphoneAccount", "new_password"]

ACCOUNT = "softphone"
DIAL = f"PJSIP/{ACCOUNT}"
_ALPHABET = string.ascii_letters + string.digits
_MODULES = (
    "\n; scripts/demo: the softphone account (testkit/demo/softphone.py)\n"
    "load = res_pjsip_registrar.so\n"
    "load = res_pjsip_endpoint_identifier_user.so  ; identify_by = auth_username\n"
)


def new_password() -> str:
    """A random SIP password (letters and digits: nothing Asterisk's parser treats specially)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(20))


@dataclass(frozen=True, slots=True)
class SoftphoneAccount:
    """The account a softphone registers with: ``softphone`` at ``address:port``."""

    password: str
    address: str
    port: int

    @property
    def uri(self) -> str:
        """The account's SIP address, as softphones ask for it."""
        return f"sip:{ACCOUNT}@{self.address}:{self.port}"

    def section(self) -> str:
        """The pjsip.conf sections of the account."""
        return (
            "\n; --- scripts/demo: a SIP account for a softphone (testkit/demo/softphone.py) ---\n"
            f"[{ACCOUNT}]\ntype = aor\nmax_contacts = 1\nremove_existing = yes\n\n"
            f"[{ACCOUNT}-auth]\ntype = auth\nauth_type = userpass\n"
            f"username = {ACCOUNT}\npassword = {self.password}\n\n"
            f"[{ACCOUNT}](endpoint-common)\nauth = {ACCOUNT}-auth\naors = {ACCOUNT}\n"
            "identify_by = auth_username\n"
        )

    def add_to(self, paths: AsteriskPaths) -> None:
        """Append the account to the rendered pjsip.conf and its modules to modules.conf."""
        with (paths.etc / "pjsip.conf").open("a", encoding="utf-8") as conf:
            conf.write(self.section())
        with (paths.etc / "modules.conf").open("a", encoding="utf-8") as conf:
            conf.write(_MODULES)

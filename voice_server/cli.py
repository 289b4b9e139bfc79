"""Command line of the imaprotect voice server (``imaprotect-voice``).

``imaprotect-voice --config FILE`` (or ``... run``) runs the server; ``asterisk-config`` renders the
Asterisk configuration. Settings come from a TOML file (``--config``), then environment variables
(and, for ``asterisk-config``, command-line options) override them. Secrets (API token, ARI and
SMTP passwords) are read from the file or the environment, never from the command line, where any
local user could read them in the process list.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path
import sys
import tomllib
from typing import TYPE_CHECKING, Any

from voice_server.asterisk_config import AsteriskPaths, AsteriskSettings, render
from voice_server.config import (
    ARI_PASSWORD_ENV,
    ENV_PREFIX,
    SMTP_ENV_PREFIX,
    ConfigError,
    load_config,
)
from voice_server.migrations import SchemaError
from voice_server.private import DatabaseInUseError
from voice_server.sip_trunk import TRUNK_PASSWORD_ENV, SipTrunk

if TYPE_CHECKING:
    from collections.abc import Sequence

PASSWORD_ENV = ARI_PASSWORD_ENV
_INT_KEYS = ("sip_port", "http_port", "rtp_start", "rtp_end")
_STR_KEYS = ("ari_user", "ari_password", "sip_address", "language", "run_user")
_LIST_KEYS = ("sip_peers",)
_PATH_KEYS = ("module_dir", "data_dir")
_TABLE_KEYS = ("trunk",)  # [asterisk.trunk]: the SIP provider (voice_server.sip_trunk)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imaprotect-voice",
        description="imaprotect voice server: alarm call-out over Asterisk ARI.",
        epilog=(
            f"Environment: {ENV_PREFIX}<KEY> overrides [voice] keys (TOKEN, DATABASE, PORT, "
            f"LISTEN, RING_TIMEOUT, ...), {SMTP_ENV_PREFIX}<KEY> the [smtp] keys, "
            f"{ARI_PASSWORD_ENV} the ARI password, {TRUNK_PASSWORD_ENV} the SIP trunk's. "
            "Without COMMAND, runs the server."
        ),
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=(
            "TOML settings file; its [asterisk] table takes ari_password and the "
            "asterisk-config options spelt with underscores (ari_user, sip_port, ...)"
        ),
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run",
        help="run the voice server (the default)",
        description="Serve the HTTP API and run the call trees until SIGTERM.",
    )
    render_cmd = commands.add_parser(
        "asterisk-config",
        help="render the Asterisk configuration into a run directory",
        description=(
            "Write asterisk.conf and friends into DIR/etc and create DIR's runtime folders; then "
            "start Asterisk with: asterisk -C DIR/etc/asterisk.conf -f"
        ),
    )
    render_cmd.add_argument("--out", type=Path, required=True, metavar="DIR", help="run directory")
    render_cmd.add_argument("--ari-user", help="ARI user name (default: imaprotect)")
    render_cmd.add_argument("--sip-address", help="SIP and RTP address (default: 127.0.0.1)")
    render_cmd.add_argument("--sip-port", type=int, help="SIP UDP port (default: 5060)")
    render_cmd.add_argument("--http-port", type=int, help="ARI port on 127.0.0.1 (default: 8088)")
    render_cmd.add_argument("--rtp-start", type=int, help="first RTP port (default: 10000)")
    render_cmd.add_argument("--rtp-end", type=int, help="last RTP port (default: 14999)")
    render_cmd.add_argument("--language", help="prompt language (default: fr)")
    render_cmd.add_argument("--module-dir", type=Path, help="Asterisk module folder")
    render_cmd.add_argument("--data-dir", type=Path, help="Asterisk data folder (sounds)")
    return parser


def _load_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    with path.open("rb") as handle:
        table = tomllib.load(handle).get("asterisk", {})
    if not isinstance(table, dict):
        raise TypeError(f"{path}: [asterisk] must be a table")
    unknown = set(table) - {*_INT_KEYS, *_STR_KEYS, *_PATH_KEYS, *_LIST_KEYS, *_TABLE_KEYS}
    if unknown:
        raise ValueError(f"{path}: unknown [asterisk] keys: {', '.join(sorted(unknown))}")
    return table


def _settings(args: argparse.Namespace, config: dict[str, Any]) -> AsteriskSettings:
    values: dict[str, Any] = {"ari_user": "imaprotect", **config}
    for key in (*_INT_KEYS, *_STR_KEYS, *_PATH_KEYS):
        if getattr(args, key, None) is not None:
            values[key] = getattr(args, key)
    values["ari_password"] = os.environ.get(PASSWORD_ENV) or values.get("ari_password")
    if not values["ari_password"]:
        raise ValueError(f"no ARI password: set ari_password in --config or ${PASSWORD_ENV}")
    for key in _PATH_KEYS:
        if key in values:
            values[key] = Path(values[key])
    for key in _LIST_KEYS:
        if key in values:
            if not isinstance(values[key], list):
                raise TypeError(f"[asterisk] {key} must be a list")
            values[key] = tuple(str(item) for item in values[key])
    if "trunk" in values:
        if not isinstance(values["trunk"], dict):
            raise TypeError("[asterisk] trunk must be a table ([asterisk.trunk])")
        values["trunk"] = SipTrunk.from_table(values["trunk"], os.environ)
    return AsteriskSettings(run_dir=args.out.resolve(), **values)


def render_asterisk(config: Path, out: Path) -> AsteriskPaths:
    """What ``--config CONFIG asterisk-config --out OUT`` does, for the add-on's start."""
    return render(_settings(argparse.Namespace(out=out), _load_config(config)))


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from voice_server.server import serve  # noqa: PLC0415 - keep asterisk-config light

    try:
        config = load_config(args.config)
    except ConfigError as err:
        parser.exit(2, f"imaprotect-voice: error: {err}\n")
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(serve(config))
    except (SchemaError, DatabaseInUseError) as err:  # a newer release's, or another server's
        parser.exit(2, f"imaprotect-voice: error: {config.database}: {err}\n")
    except ConfigError as err:  # found only at start: an unreadable certificate
        parser.exit(2, f"imaprotect-voice: error: {err}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command in {None, "run"}:
        return _run(parser, args)
    try:
        settings = _settings(args, _load_config(args.config))
        paths = render(settings)
    except (OSError, ValueError, TypeError, tomllib.TOMLDecodeError) as err:
        parser.exit(2, f"imaprotect-voice: error: {err}\n")
    sys.stdout.write(f"asterisk -C {paths.config} -f\n")
    return 0

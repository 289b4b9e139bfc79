"""The contract between the Home Assistant integration and the voice server, defined once.

Both sides import this package: the integration as ``custom_components.imaprotect.contract``,
the voice server (whose distribution packages exactly this folder) under the same name. It must
therefore stay free of Home Assistant and of the voice server: the standard library, pydantic and
phonenumbers only. ``SCHEMA_VERSION`` changes with every change of the wire format; the client
checks it against the server's ``GET /api/v1/info`` on connect.
"""

from .limits import MIN_SUPPORTED_SCHEMA_VERSION, SCHEMA_VERSION

__all__ = ["MIN_SUPPORTED_SCHEMA_VERSION", "SCHEMA_VERSION"]

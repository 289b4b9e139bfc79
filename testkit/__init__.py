"""The voice server's real surroundings, shared by the tests (``tests/``) and ``bench/``.

Both drive the same peers: an Asterisk 22 started from the project's configuration in a
temporary folder, SIPp phones, an SMTP sink, a signed-callback sink standing in for Home
Assistant's webhook, and the voice server itself as a real process. Each of them is written once,
here, so that a fix to one (a readiness check, a port, a signature rule) reaches both users.

Why a package of its own, named ``testkit``: the benchmark is not a test, and importing
``tests/`` as a library dragged pytest's conftest along and made a helper's home depend on where
its first user lived. ``voice_server/`` is what ships (setuptools packages only ``voice_server*``),
so test tooling does not belong there either. Nothing here imports pytest: failures are raised
as exceptions (``polling.NotReachedError`` is an ``AssertionError``, so pytest shows it as a
failed check), and the fixtures that wrap these helpers stay in ``tests/voice/conftest.py``.

Modules: ``ports`` (free loopback ports), ``polling`` (wait until a condition holds),
``processes`` (stop, kill, and track child processes), ``asterisk``, ``sipp`` (with the
scenarios in ``scenarios/`` and the DTMF pcaps of ``dtmf_pcap``), ``smtp``, ``callbacks``,
``bodies`` (API request bodies), ``voice_api`` (an API client) and ``voice`` (a voice server's
settings, in process or as a real process).
"""

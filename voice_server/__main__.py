"""Allow ``python -m voice_server``."""

from voice_server.cli import main

raise SystemExit(main())

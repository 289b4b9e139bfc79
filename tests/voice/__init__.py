"""Voice path tests: Asterisk 22 + SIPp phones on loopback."""

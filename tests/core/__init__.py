"""Unit tests of the HA-free alarm core."""

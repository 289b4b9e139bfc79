"""Tests that run inside Home Assistant."""

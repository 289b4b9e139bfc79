"""imaprotect voice server: phones the home's trusted contacts through Asterisk ARI on an alarm."""

__version__ = "0.1.0"

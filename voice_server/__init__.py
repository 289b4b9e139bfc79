"""imaprotect voice server: phones the home's trusted contacts through Asterisk ARI on an alarm."""

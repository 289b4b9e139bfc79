"""Tests of imaprotect."""

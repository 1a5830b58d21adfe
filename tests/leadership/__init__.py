"""Tests of leaders' figures, statutory checks, the board report and reminders."""

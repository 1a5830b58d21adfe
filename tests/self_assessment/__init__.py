"""Tests of self-assessment rounds, answers, positions, actions and trends."""

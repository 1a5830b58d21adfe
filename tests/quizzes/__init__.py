"""Tests of quiz attempts, marking, the review and results."""

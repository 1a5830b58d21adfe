"""Tests of the curriculum: its format, its checks and the real content."""

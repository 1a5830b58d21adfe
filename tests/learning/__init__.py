"""Tests of reading and completing modules, requirements and assignments."""

"""Tests of email through the outbox and the copies of it that people see."""

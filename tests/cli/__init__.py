"""Tests of the flask commands, run as a deployment runs them."""

"""Tests that drive the running app in headless Chromium: accessibility, keyboard and small screens."""

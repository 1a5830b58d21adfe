"""Tests of accounts, sign-in, joining a school, the staff list, the staff import and data protection."""

"""Tests of the CPD ledger, the record, certificates, exports and xAPI."""

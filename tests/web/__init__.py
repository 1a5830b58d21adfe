"""Tests of the pages as a whole: who may use each route, tenant isolation, page checks, security, query budgets."""

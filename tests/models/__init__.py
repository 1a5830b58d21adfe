"""Tests of the schema: the migrations build exactly what the models describe."""

"""What tests in more than one folder share: the access table, the page checks and helpers."""

# The benchmark is run by `make bench`, never by pytest: nothing in this folder is a test.
collect_ignore_glob = ["*"]

"""The load benchmark (`make bench`): a data generator, a runner and an in-process profiler."""

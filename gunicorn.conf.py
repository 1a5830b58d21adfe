"""gunicorn's settings for SEND Ready. gunicorn reads this file from the directory it starts in, so
start it from the project's root (README.md, "Deploying on PostgreSQL")."""

import gc


def post_worker_init(worker):
    # What a worker has loaded by now (the content catalogue, compiled templates, the ORM's mappings)
    # lives as long as the worker. Taking it out of the garbage collector's view keeps each full
    # collection short: about 100 ms a collection before, a few ms after (docs/performance.md).
    gc.freeze()
    worker.log.debug("Froze %d objects loaded at start-up", gc.get_freeze_count())

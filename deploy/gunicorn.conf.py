"""gunicorn for GridGov (deploy/systemd/gridgov-web.service starts it; docs/deployment.md).

    gunicorn -c deploy/gunicorn.conf.py config.wsgi

Sizing: the application's requests are mostly database-bound, so each worker runs a few
threads; 2 × cores + 1 processes of 4 threads suit a 4-core server (set GUNICORN_WORKERS on a
different one). Listens on the loopback only: nginx is the only client.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
# An export or a monthly bulletin can take tens of seconds; nginx waits 120 s.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (jittered), bounding any slow growth.
max_requests = 2000
max_requests_jitter = 200
# The application logs every request itself (gridgov.request, with the request id) and nginx
# keeps the access log; gunicorn's own lines go to stderr, hence the journal.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The X-Forwarded-* headers of nginx on the same machine are believed.
forwarded_allow_ips = "127.0.0.1,::1"
proxy_allow_ips = "127.0.0.1,::1"
preload_app = False


def on_starting(server):
    """The metrics files of the previous run are stale: start from an empty folder."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, mode=0o700, exist_ok=True)


def child_exit(server, worker):
    """A worker that ended no longer counts in the live gauges (prometheus_client)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """The objects the worker made while loading the application (modules, URL patterns,
    templates: most of its heap) are moved out of reach of the garbage collector's full passes,
    which otherwise walk all of them again in the middle of a request: 93 ms a full collection
    before, 40 ms after, on the statistics pages at one million cases (docs/benchmarks.md)."""
    import gc

    gc.freeze()

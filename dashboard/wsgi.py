"""The WSGI entry point: `gunicorn dashboard.wsgi:server` (the data folder comes from BMS_DATA_DIR).

gunicorn imports this module in each worker (the app is never loaded before the fork), so each worker starts
its own thread that builds the most-opened pages after each publish (dashboard/warmup.py)."""

from dashboard import warmup
from dashboard.app import create_app

server = create_app().server
stop_warming = warmup.start(server)  # set: the thread ends (a test's own app)

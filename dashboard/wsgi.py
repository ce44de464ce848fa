"""The WSGI entry point: `gunicorn dashboard.wsgi:server` (the data folder comes from BMS_DATA_DIR)."""

from dashboard.app import create_app

server = create_app().server

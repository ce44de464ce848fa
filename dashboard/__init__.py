"""Heim BMS dashboard: a Dash app over the published DuckDB warehouse (read-only)."""

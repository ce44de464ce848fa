"""Heim BMS ETL: files and SSB responses in, a published DuckDB warehouse out."""

__version__ = "0.1.0"

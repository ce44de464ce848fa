"""Readers for documents that are not spreadsheets: SSB's json-stat2 answers and Klass code lists."""

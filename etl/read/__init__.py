"""File → tables: open a file safely, find each sheet's kind and header, parse and check every cell."""

"""The warehouse: build a version, publish it atomically, open the published one read-only, report its state."""

"""Checks that need more than one file: references to units, ansvar and indicators, and the anonymity rule."""

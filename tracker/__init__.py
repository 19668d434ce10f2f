"""Pledge Tracker: watch what companies promise about personal data."""

__version__ = "0.1.0"

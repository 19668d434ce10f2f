"""Pledge Tracker: watch what companies promise about personal data."""

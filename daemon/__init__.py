"""Raqib (رقيب): watches news feeds for the people and places its operators follow."""

__version__ = "0.1.0"

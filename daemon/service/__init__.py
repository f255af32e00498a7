"""The command line, config loading, APScheduler wiring, logging and signals.

This package wires the stages together; what happens to an item is decided in
``daemon.pipeline`` and the stage packages, never here.
"""

"""Fixtures for the simulated kubelet's tests (the helpers live in simkit.py, a unique module name)."""

from simkit import sim  # noqa: F401 - the fixture, registered by being here

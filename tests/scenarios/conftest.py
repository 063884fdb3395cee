"""Scenario replays: each test drives real kubectl against a served cluster (real clock)."""

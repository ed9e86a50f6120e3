"""Runs the real bot (action server + Rasa server) on free loopback ports: for the end-to-end tests,
the benchmarks (bench/) and the staff tools (staff/transcripts.py)."""

"""Lifecycle and people (C7, C8): destruction, backup and restore, incidents and drills, agreements, offboarding."""

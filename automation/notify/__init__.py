"""Notifications: Flux Provider and Alert delivery."""

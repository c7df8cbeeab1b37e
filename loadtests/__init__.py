"""Locust scenarios that measure what a guest feels."""

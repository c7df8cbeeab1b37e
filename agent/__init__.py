"""The receptionist service: webhook, inbox and worker, brain, adapters, operations."""

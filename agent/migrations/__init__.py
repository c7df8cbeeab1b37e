"""Versioned SQL migrations (NNNN_name.sql), applied in order by agent.migrate."""

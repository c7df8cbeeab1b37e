"""The receptionist's brain: pure decisions (understanding, dialogue) with no I/O."""

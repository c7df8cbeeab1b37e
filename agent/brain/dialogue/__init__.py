"""The dialogue: a per-conversation state machine with slot filling. Pure: it decides, adapters act."""

from agent.brain.dialogue.inputs import Context, GuestMessage
from agent.brain.dialogue.machine import Decision, decide
from agent.brain.dialogue.state import ConversationState

__all__ = ["ConversationState", "Context", "Decision", "GuestMessage", "decide"]

"""Import path the validation stages probe (`validation.conversations.runner`); the code is in
validation/conversations_runner.py."""

from validation.conversations_runner import (
    ConversationResult,
    discover,
    load_conversation,
    run_conversations,
    run_conversations_async,
    summarize,
)

__all__ = [
    "ConversationResult",
    "discover",
    "load_conversation",
    "run_conversations",
    "run_conversations_async",
    "summarize",
]

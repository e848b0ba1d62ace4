"""LLM-proposal strategy ``llm`` (OPRO) and the reusable proposer.

``LLMProposer.propose(k, history, seed=...)`` returns validated, distinct configurations
and an audit record per chat call; ``LLMStrategy`` is the registered strategy. The
``openai`` package is imported only when a call is made.
"""

from bbo.strategies.llm.client import (
    FAILURE_KINDS,
    ChatClient,
    ChatRequest,
    ChatResult,
    LLMError,
    OpenAIChatClient,
)
from bbo.strategies.llm.options import LLMOptions
from bbo.strategies.llm.proposer import LLMProposer, Proposal
from bbo.strategies.llm.strategy import LLMStrategy

__all__ = [
    "FAILURE_KINDS",
    "ChatClient",
    "ChatRequest",
    "ChatResult",
    "LLMError",
    "LLMOptions",
    "LLMProposer",
    "LLMStrategy",
    "OpenAIChatClient",
    "Proposal",
]

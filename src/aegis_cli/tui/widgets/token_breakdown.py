"""``Input: 35,123 tokens │ Output: 10,111 tokens`` — what a model read and wrote."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


def token_breakdown_text(input_tokens: int, output_tokens: int, estimated: bool = False) -> Text:
    mark = "~" if estimated else ""
    text = Text.assemble(
        ("Input: ", "dim"), (f"{mark}{input_tokens:,}", "bold"), (" tokens", "dim"),
        (" │ ", "dim"),
        ("Output: ", "dim"), (f"{mark}{output_tokens:,}", "bold"), (" tokens", "dim"),
    )
    if estimated:
        text.append("  (estimated)", "dim italic")
    return text


class TokenBreakdown(Widget):
    """Input and output token counts of one model."""

    DEFAULT_CSS = """
    TokenBreakdown {
        height: 1;
        width: 1fr;
    }
    """

    input_tokens: reactive[int] = reactive(0)
    """Token ids actually fed to the model (padding excluded)."""

    output_tokens: reactive[int] = reactive(0)
    """Generated token ids (0 for a classifier)."""

    estimated: reactive[bool] = reactive(False)
    """True when a remote model did not report its counts and they were estimated."""

    def render(self) -> Text:
        return token_breakdown_text(self.input_tokens, self.output_tokens, self.estimated)

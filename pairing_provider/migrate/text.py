"""Text from a Terraform state made safe to show: in a comment, a report line, an error line.

A state is input: an address or a version string can hold ESC, CR, NUL or a line break, which
would end a comment early in the program or drive the terminal that prints an error.
"""

from __future__ import annotations


def comment_text(text: str) -> str:
    """``text`` with every non-printable character escaped (``\\x1b``, ``\\r``, ``\\n``...)."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def terminal_lines(text: str) -> str:
    """A multi-line message with each line escaped; the line breaks between lines kept."""
    return "\n".join(comment_text(line) for line in text.split("\n"))

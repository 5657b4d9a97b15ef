"""Messages of check."""

MESSAGES: dict[str, tuple[str, str]] = {
}

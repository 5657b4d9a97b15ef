"""Messages of web."""

MESSAGES: dict[str, tuple[str, str]] = {
}

"""Messages of cli."""

MESSAGES: dict[str, tuple[str, str]] = {
}

"""Messages of load."""

MESSAGES: dict[str, tuple[str, str]] = {
}

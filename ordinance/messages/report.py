"""Messages of report."""

MESSAGES: dict[str, tuple[str, str]] = {
}

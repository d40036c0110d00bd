"""The one exception type for mistakes a user can fix (bad config, bad path, bad data)."""


class UserError(Exception):
    """A problem with the user's input: the CLI prints its message on one line and exits with 2.

    Line breaks in the message (a key or a value the user typed can hold one) are shown escaped,
    so that the message stays one line whatever it quotes.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(str(message).replace("\r", "\\r").replace("\n", "\\n"))

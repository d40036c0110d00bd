"""The one exception type for mistakes a user can fix (bad config, bad path, bad data)."""


class UserError(Exception):
    """A problem with the user's input: the CLI prints its message on one line and exits with 2."""

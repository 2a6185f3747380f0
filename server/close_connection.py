"""The one way a request ends a connection instead of getting a response."""


class CloseConnection(Exception):
    """Kafka's answer to this request is to close the connection (malformed or unservable
    requests, and acks=0 produce requests that failed, so the producer notices and refreshes).
    A ``quiet`` one is expected in numbers (every client of a broker cut off from its cluster)
    and logged only at debug level: the reason was logged once already."""

    def __init__(self, message: str, quiet: bool = False):
        super().__init__(message)
        self.quiet = quiet

"""The one way a request ends a connection instead of getting a response."""


class CloseConnection(Exception):
    """Kafka's answer to this request is to close the connection (malformed or unservable
    requests, and acks=0 produce requests that failed, so the producer notices and refreshes)."""

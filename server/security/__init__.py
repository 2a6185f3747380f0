"""Who is on the other end of a connection, and what they may do: TLS, SASL and ACLs.

Kept apart from the handlers: a connection carries a ``Session`` (its listener's security
protocol and, once known, its principal); handlers only ask the request context who is asking.
"""

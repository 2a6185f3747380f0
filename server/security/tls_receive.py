"""Reading a TLS connection a whole socket read at a time, not one TLS record at a time.

``trio.SSLStream.receive_some`` decrypts a single TLS record per call, and clients such as
librdkafka write a produce request as many small records (a few KB each): every record then costs
a trip through trio's scheduler, which made produce over TLS several times slower than the
decryption itself. ``receive_buffered`` takes what one ``receive_some`` gives and then decrypts,
without awaiting, every further record already received from the socket. Those records sit in
trio's incoming buffer, reached through the stream's private ``_ssl_object`` and ``_incoming``
names; a trio without them is read one record at a time, as before. A record that cannot be
decrypted here is left to the next ``receive_some``, which reports the error as trio does.
"""

from __future__ import annotations

import ssl

import trio


async def receive_buffered(stream: trio.SSLStream, max_bytes: int) -> bytes:
    data = await stream.receive_some(max_bytes)
    tls = getattr(stream, "_ssl_object", None)
    incoming = getattr(stream, "_incoming", None)
    if not data or tls is None or incoming is None:
        return data
    parts, size = [data], len(data)
    while size < max_bytes and (incoming.pending or tls.pending()):
        try:
            more = tls.read(max_bytes - size)
        except ssl.SSLError:  # SSLWantReadError: a partial record; or an error trio will report
            break
        if not more:
            break
        parts.append(more)
        size += len(more)
    return data if len(parts) == 1 else b"".join(parts)

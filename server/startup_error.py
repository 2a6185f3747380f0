"""Why the broker cannot start, said in one line a person can act on.

A mistake in the configuration or the machine (a port in use, a data directory that cannot be
written, a property with a bad value) is not a bug: the operator needs the name of the thing to
fix, not a traceback. Code that finds such a mistake raises one of these with a message that
names it; ``odradek serve`` prints that message alone and exits with the error's code.
"""

from __future__ import annotations


class StartupError(Exception):
    """The machine stops start-up (a port in use, an unusable data directory): exit code 1."""

    exit_code = 1


class ConfigError(StartupError):
    """A property or flag that is malformed, contradictory or not served: exit code 2."""

    exit_code = 2

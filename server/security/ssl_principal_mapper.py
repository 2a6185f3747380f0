"""``ssl.principal.mapping.rules``: from a client certificate's subject to a user name, as
Kafka's SslPrincipalMapper does it.

The rules are a comma-separated list, tried in order; the first that matches names the user:

- ``DEFAULT`` matches any subject and keeps it whole (``CN=alice,OU=eng,O=acme``);
- ``RULE:pattern/replacement/`` matches when the Java regular expression ``pattern`` matches the
  whole subject, and gives the subject with every match of ``pattern`` replaced by ``replacement``
  (``$1`` and so on name groups); a trailing ``L`` or ``U`` (``RULE:.../.../L``) lower- or
  upper-cases the result. Inside pattern and replacement, ``\\/`` is a slash and ``\\,`` a comma.

A subject no rule matches cannot be named: Kafka fails the client's authentication, and so does
odradek (the connection is closed). The syntax is Kafka's, so the splitting below follows the same
regular expressions; Java's ``$n`` replacement references are turned into what Python's ``re``
means by them, with Kafka's rule that a reference to a group the pattern lacks is literal text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RULE = r"(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)"
_SPLITTER = re.compile(r"\s*(" + _RULE + r")\s*(,\s*|$)")
_PARSER = re.compile(_RULE)


class NoMatchingRule(Exception):
    """No rule names this subject (Kafka's SslPrincipalMapper.NoMatchingRule)."""


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern | None  # None: DEFAULT
    replacement: str = ""
    case: str = ""  # "L", "U" or ""

    def apply(self, subject: str) -> str | None:
        if self.pattern is None:
            return subject
        if not self.pattern.fullmatch(subject):
            return None
        result = self.pattern.sub(lambda match: _expand(self.replacement, match), subject)
        if self.case == "L":
            return result.lower()
        if self.case == "U":
            return result.upper()
        return result

    def __str__(self) -> str:
        if self.pattern is None:
            return "DEFAULT"
        return f"RULE:{self.pattern.pattern}/{self.replacement}" + (f"/{self.case}" if self.case else "")


class SslPrincipalMapper:
    def __init__(self, rules: str = "DEFAULT"):
        """Parse the rules; ValueError names the first invalid one."""
        self.rules = [rule for rule in (_parse(text) for text in _split(rules)) if rule is not None]

    def name(self, subject: str) -> str:
        """The user name for a certificate subject; NoMatchingRule when no rule applies."""
        for rule in self.rules:
            name = rule.apply(subject)
            if name is not None:
                return name
        raise NoMatchingRule(f"No rules apply to {subject}, rules [{', '.join(map(str, self.rules))}]")


def _split(rules: str) -> list[str]:
    return [match.group(1) for match in _SPLITTER.finditer(rules.strip())]


def _parse(text: str) -> Rule | None:
    match = _PARSER.match(text)
    if match is None:
        raise ValueError(f"Invalid rule: {text}")
    if match.end() != len(text):
        raise ValueError(f"Invalid rule: `{text}`, unmatched substring: `{text[match.end():]}`")
    if match.group(1) is not None:
        return Rule(None)
    if match.group(2) is None:
        return None  # an empty rule, ignored
    try:
        pattern = re.compile(match.group(2))
    except re.error as exc:
        raise ValueError(f"Invalid rule: {text}: bad pattern: {exc}") from None
    return Rule(pattern, match.group(4), match.group(6))


def _expand(replacement: str, match: re.Match) -> str:
    """Java's Matcher.appendReplacement: ``\\x`` is x, ``$n`` group n (more digits taken while
    they still name a group), ``${name}`` a named group; Kafka first makes ``$n`` literal where
    the pattern has fewer than n groups (and no group at all leaves it to Java, which fails)."""
    groups = match.re.groups
    out, i = [], 0
    while i < len(replacement):
        char = replacement[i]
        if char == "\\" and i + 1 < len(replacement):
            out.append(replacement[i + 1])
            i += 2
        elif char == "$" and i + 1 < len(replacement) and replacement[i + 1] == "{":
            end = replacement.index("}", i)
            out.append(match.group(replacement[i + 2:end]) or "")
            i = end + 1
        elif char == "$" and i + 1 < len(replacement) and replacement[i + 1].isdigit():
            number, j = int(replacement[i + 1]), i + 2
            if groups and number > groups:  # Kafka escapes it: the text stays as written
                out.append("$")
                i += 1
                continue
            if number > groups:
                raise NoMatchingRule(f"No group {number} in pattern {match.re.pattern}")
            while j < len(replacement) and replacement[j].isdigit() and number * 10 + int(replacement[j]) <= groups:
                number, j = number * 10 + int(replacement[j]), j + 1
            out.append(match.group(number) or "")
            i = j
        elif char == "$":
            raise NoMatchingRule(f"Illegal group reference in replacement {replacement}")
        else:
            out.append(char)
            i += 1
    return "".join(out)

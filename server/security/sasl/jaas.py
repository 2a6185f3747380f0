"""Kafka's JAAS configuration syntax, as ``sasl.jaas.config`` holds it.

    org.apache.kafka.common.security.plain.PlainLoginModule required
        username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";

One or more entries, each a login module class name, a control flag (required, requisite,
sufficient, optional) and ``key=value`` options, ended by a semicolon. Kafka reads it with Java's
StreamTokenizer, and so does this parser, rule for rule where it matters: values are words
(letters, digits, ``.``, ``-``, ``_``, ``$``) or quoted strings (double or single quotes, with
backslash escapes); ``//`` and ``/* */`` comments are skipped; a value that starts with a digit is
a number to the tokenizer, which Kafka refuses ("Value not specified for key"), so this does too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTROL_FLAGS = ("required", "requisite", "sufficient", "optional")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


class JaasError(ValueError):
    """The text is not a JAAS configuration Kafka would accept; the message says why."""


@dataclass(frozen=True)
class LoginModuleEntry:
    login_module: str  # the class name, e.g. org.apache.kafka.common.security.plain.PlainLoginModule
    control_flag: str  # lowercase
    options: dict[str, str] = field(default_factory=dict)


def parse_jaas_config(text: str) -> list[LoginModuleEntry]:
    """The entries of ``text``; JaasError (Kafka's message) if it is not valid."""
    tokens = _Tokens(text)
    entries = []
    while (module := tokens.next()) is not None:
        if module.kind != "word":
            raise JaasError(f"Login module not specified in JAAS config (found {module.text!r})")
        flag = tokens.next()
        if flag is None:
            raise JaasError("Login module control flag not specified in JAAS config")
        if flag.kind != "word" or flag.text.lower() not in CONTROL_FLAGS:
            raise JaasError(f"Invalid login module control flag '{flag.text}' in JAAS config")
        options = {}
        while (key := tokens.next()) is not None and key.text != ";":
            equals = tokens.next()
            value = tokens.next() if equals is not None and equals.text == "=" else None
            if value is None or value.kind not in ("word", "quoted"):
                raise JaasError(f"Value not specified for key '{key.text}' in JAAS config")
            options[key.text] = value.text
        if key is None:
            raise JaasError("JAAS config entry not terminated by semi-colon")
        entries.append(LoginModuleEntry(module.text, flag.text.lower(), options))
    if not entries:
        raise JaasError("Login module not specified in JAAS config")
    return entries


@dataclass(frozen=True)
class _Token:
    kind: str  # word, quoted, number, or char (a single ordinary character such as = or ;)
    text: str


class _Tokens:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def next(self) -> _Token | None:
        text = self.text
        while True:
            while self.pos < len(text) and text[self.pos] <= " ":
                self.pos += 1
            if text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                self.pos = len(text) if end < 0 else end + 2
            else:
                break
        if self.pos >= len(text):
            return None
        start, char = self.pos, text[self.pos]
        if char in "\"'":
            return self._quoted(char)
        if char.isdigit() or char == ".":
            kind = "number"
        elif _is_word_char(char) and not char.isdigit():
            kind = "word"
        else:
            self.pos += 1
            return _Token("char", char)
        while self.pos < len(text) and (_is_word_char(text[self.pos]) or text[self.pos] == "."):
            self.pos += 1
        return _Token(kind, text[start:self.pos])

    def _quoted(self, quote: str) -> _Token:
        text, out = self.text, []
        self.pos += 1
        while self.pos < len(text) and text[self.pos] not in (quote, "\n", "\r"):
            char = text[self.pos]
            self.pos += 1
            if char == "\\" and self.pos < len(text):
                char = text[self.pos]
                self.pos += 1
                if char in "01234567":
                    digits = char
                    while (len(digits) < (3 if digits[0] <= "3" else 2) and self.pos < len(text)
                           and text[self.pos] in "01234567"):
                        digits += text[self.pos]
                        self.pos += 1
                    char = chr(int(digits, 8))
                else:
                    char = _ESCAPES.get(char, char)
            out.append(char)
        if self.pos < len(text) and text[self.pos] == quote:
            self.pos += 1
        return _Token("quoted", "".join(out))


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "-_$") or ord(char) >= 160

"""What a member of staff's password must be: long, not built on their user name, not one people commonly use.

"Common" is judged by zxcvbn (the Python port of Dropbox's estimator, which ships its lists of the most used
passwords, words and names, so it works without a network): a password it rates 0 or 1 of 4 — one of the most
used passwords, a keyboard walk, a repetition, a sequence or a dictionary word with a few digits — is refused.
"""

from __future__ import annotations

from chalicelib.domain.errors import FieldError

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn's score: 0 "too guessable" (< 10^3 guesses), 1 "very guessable" (< 10^6); 2 and up pass.
MIN_SCORE = 2


def password_problem(password: object, username: str, field: str = "password") -> FieldError | None:
    """The first rule ``password`` breaks, or None. Length first: it is the one rule people can see at once."""
    if not isinstance(password, str):
        return FieldError(field, "text")
    if len(password) < MIN_LENGTH:
        return FieldError(field, "too_short", minimum=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return FieldError(field, "too_long", high=MAX_LENGTH)
    if username and username.casefold() in password.casefold():
        return FieldError(field, "contains_username")
    from zxcvbn import zxcvbn  # ~40 ms to load its lists: only when someone sets a password

    if int(zxcvbn(password, user_inputs=[username, *username.split(".")], max_length=MAX_LENGTH)["score"]) < MIN_SCORE:
        return FieldError(field, "too_common")
    return None

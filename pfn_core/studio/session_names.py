"""Names of labelling sessions: what a name may be (safe in a URL and shown as plain text) and
a readable random one for a new browser tab."""

from __future__ import annotations

import re

import numpy as np

from pfn_core import limits

SESSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_ADJECTIVES = ("amber", "brisk", "calm", "deep", "eager", "fair", "gold", "keen", "lucid",
               "mellow", "noble", "quiet", "rapid", "sharp", "steady", "vivid")
_NOUNS = ("otter", "heron", "maple", "comet", "river", "falcon", "cedar", "harbor", "lynx",
          "meadow", "orbit", "pine", "quartz", "robin", "summit", "willow")


def check_session_name(name) -> str:
    """``name`` trimmed, or a ValueError saying which names are allowed."""
    text = str(name).strip() if name is not None else ""
    if not SESSION_NAME.fullmatch(text) or len(text) > limits.MAX_SESSION_NAME:
        shown = text[:40] + ("…" if len(text) > 40 else "")
        raise ValueError(
            f"{shown!r} is not a session name; use 1 to {limits.MAX_SESSION_NAME} letters, "
            "digits, '-' or '_', starting with a letter or digit (e.g. 'alice-iris')."
        )
    return text


def random_session_name(rng: np.random.Generator) -> str:
    """A readable name such as 'calm-otter-4821' (one of about 2.3 million)."""
    return (f"{_ADJECTIVES[rng.integers(len(_ADJECTIVES))]}-"
            f"{_NOUNS[rng.integers(len(_NOUNS))]}-{int(rng.integers(1000, 10000))}")

"""What every problem document shares: its media type and the prefix of its types.

Apart from problems.py, which needs FastAPI, so that `framing serve`'s supervisor
(server.py) can write a problem document without importing it.
"""

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:framing:problem:"

"""Use cases: each takes its ports (interfaces) as arguments and returns domain results."""

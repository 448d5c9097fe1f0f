"""The parts of the media stack other than the nodes themselves: the TLS sidecar, TURN and the DNS updater.

Each part adds its resources to the media stack itself (the scope it is given), not under a child construct of its
own: the logical ids stay those of the stack, so a deployed stage updates in place instead of replacing named
services, functions and log groups (a replacement would fail on the names already taken).
"""

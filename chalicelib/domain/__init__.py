"""The council's rules in pure Python: no AWS library, no HTTP, no I/O."""

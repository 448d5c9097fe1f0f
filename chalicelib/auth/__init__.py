"""Identity and access: principals, the one policy module, tokens, one-time codes and the eID client."""

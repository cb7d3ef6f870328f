"""0.24 compatibility: the 0.24 objects with no place in the new rooms (server handles,
string-command services, `ssl`, `messages`, the callable entrypoint). Top of the house."""

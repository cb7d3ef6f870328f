"""The wire: what an app and a node share (messages, the method table, ids, errors,
TLS file names, the work-dir layout). It imports nothing else of this package."""

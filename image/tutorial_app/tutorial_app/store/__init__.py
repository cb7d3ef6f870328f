"""The task's durable store: snapshot, journal, reader, writer, cache, the work dir's owner."""

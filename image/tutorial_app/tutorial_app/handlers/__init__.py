"""The Task API handlers and the requestor's use cases (commands, repair, benchmark)."""

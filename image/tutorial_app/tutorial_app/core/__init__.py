"""The task's pure core: events, state with its table of legal moves, planning, params. No I/O."""

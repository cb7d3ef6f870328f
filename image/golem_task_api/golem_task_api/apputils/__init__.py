"""0.24's helpers for writing apps: app definitions, a task database, logging.

Install with the `apputils` extra (`pip install golem-task-api[apputils]`):
the task database needs peewee, process monitoring psutil.
"""

"""The conformance kit: does a Golem node run this app?

`golem-task-api check-app` and the pytest plugin (`--task-api-app`) run the
same battery (`checks`) against an app started as a node starts it (`target`),
and report one line per check (`report`). A FAIL breaks a node run; a warn is
good practice the node survives without.
"""

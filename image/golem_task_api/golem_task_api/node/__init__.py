"""The node side: what a node runs to drive apps (clients, channels, services, the
fork server, the local network). Never imports the app side."""

"""The app side: what an app process runs (servers on either gRPC stack, the entry
point, the handler interfaces, the executor). Never imports the node side."""

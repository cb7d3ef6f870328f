"""Files that cross the network: zip formats, reading and writing zips, verdicts."""

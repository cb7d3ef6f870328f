"""A task's providers on a Dask distributed cluster (`--cluster ADDRESS|local:N`).

The node (requestor, work dir, ledger, `--out`) stays on the user's machine;
each subtask attempt is one Dask task that starts the provider on a worker,
with the subtask's input bytes and the result's bytes carried by Dask itself.
"""

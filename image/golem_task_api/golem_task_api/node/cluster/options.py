"""The `--cluster` options of `golem-task-api run` and `tutorial-app run`.

`--cluster tls://HOST:PORT` joins a running Dask cluster with the user's CA,
certificate and key (or Dask's own `distributed.comm.tls` config);
`--cluster local:N` starts one on this machine for the run. Either is
connected before any app starts, so a scheduler that is down or refuses our
certificate is one `prog: error:` line and exit status 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from golem_task_api.node.cluster.certs import ClusterCerts
from golem_task_api.node.cluster.runtime import Runtime

#: What `golem-task-api run` accepts from a worker by default (apps may say less).
DEFAULT_MAX_RESULT_BYTES = 64 << 20
_SAVED = ("cluster", "cluster_ca", "cluster_cert", "cluster_key")

if TYPE_CHECKING:  # importing it pulls in Dask: only when a run asks for a cluster
    from golem_task_api.node.cluster.engine import ClusterProviders


def add_options(parser: argparse.ArgumentParser, *, max_result: bool = False) -> None:
    group = parser.add_argument_group("cluster (Dask distributed)")
    group.add_argument(
        "--cluster",
        metavar="ADDRESS|local:N",
        help="run the providers on a Dask cluster: its scheduler's tls://HOST:PORT, or "
        "local:N for a scheduler and N workers started here for this run (mutual TLS, "
        "throwaway certificates); the requestor and its work dir stay here",
    )
    for name, what in (("ca", "CA"), ("cert", "certificate"), ("key", "private key")):
        group.add_argument(
            f"--cluster-{name}",
            type=Path,
            metavar="FILE",
            help=f"the cluster's TLS {what} (PEM) for --cluster ADDRESS "
            "(default: Dask's distributed.comm.tls config)",
        )
    group.add_argument(
        "--cluster-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="give up connecting to the scheduler after this long (default 10)",
    )
    if max_result:
        group.add_argument(
            "--max-result-bytes",
            type=int,
            default=DEFAULT_MAX_RESULT_BYTES,
            metavar="N",
            help="a worker refuses a result over N bytes instead of sending it "
            f"(default {DEFAULT_MAX_RESULT_BYTES})",
        )


def local_size(spec: str | None) -> int | None:
    """N for `local:N`, else None."""
    if spec is None or not spec.startswith("local:"):
        return None
    try:
        return int(spec.removeprefix("local:"))
    except ValueError:
        return 0


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit with one line if the cluster options cannot work."""
    if not args.cluster_timeout > 0:
        parser.error(f"--cluster-timeout must be positive, got {args.cluster_timeout}")
    spec = args.cluster
    given = [args.cluster_ca, args.cluster_cert, args.cluster_key]
    if spec is None:
        if any(given):
            parser.error("--cluster-ca, --cluster-cert and --cluster-key need --cluster ADDRESS")
        return
    size = local_size(spec)
    if size is not None:
        if not 1 <= size <= 64:
            parser.error(f"--cluster local:N needs N from 1 to 64, got {spec!r}")
        if any(given):
            parser.error("--cluster local:N makes its own certificates; drop --cluster-ca/cert/key")
        return
    if not spec.startswith("tls://") or len(spec) <= len("tls://"):
        parser.error(f"--cluster needs tls://HOST:PORT (mutual TLS) or local:N, got {spec!r}")
    if any(given) and not all(given):
        parser.error("give all of --cluster-ca, --cluster-cert and --cluster-key, or none")
    if all(given):
        problem = ClusterCerts(*given).missing()
        if problem:
            parser.error(problem)
    if getattr(args, "max_result_bytes", 1) < 1:
        parser.error(f"--max-result-bytes must be positive, got {args.max_result_bytes}")


def saved(args: argparse.Namespace) -> dict[str, Any]:
    """The cluster options, JSON-ready, for the run's saved settings."""
    return {
        name: None if getattr(args, name) is None else str(getattr(args, name)) for name in _SAVED
    }


def restore(args: argparse.Namespace, settings: dict[str, Any]) -> None:
    """Put a saved run's cluster options back on `args`."""
    for name in _SAVED:
        value = settings.get(name)
        setattr(args, name, value if name == "cluster" or value is None else Path(value))


def open_cluster(
    parser: argparse.ArgumentParser, args: argparse.Namespace, runtime: Runtime
) -> ClusterProviders | None:
    """Connected (and, for local:N, started) before any app starts; exit 2 if not."""
    if args.cluster is None:
        return None
    from golem_task_api.node.cluster import engine
    from golem_task_api.node.cluster.local import LocalCluster, LocalClusterError

    size = local_size(args.cluster)
    local = None
    try:
        if size is not None:
            local = LocalCluster(size, threads=math.ceil(args.providers / size))
            certs = local.start()
            remote = engine.ClusterProviders.connect(local.address, certs.security(), runtime)
            remote.on_close(local.stop)
            remote.client.wait_for_workers(size, timeout=max(30.0, args.cluster_timeout))
        else:
            security = _security(args)
            remote = engine.ClusterProviders.connect(
                args.cluster, security, runtime, args.cluster_timeout
            )
    except (engine.ClusterUnreachable, LocalClusterError, TimeoutError, OSError) as exc:
        if local is not None:
            local.stop()
        parser.error(str(exc))
    remote.limit(args.providers)
    if not args.quiet:
        workers = ", ".join(sorted(remote.workers().values())) or "none yet"
        print(f"cluster: {remote.address}; workers: {workers}", file=sys.stderr)
    return remote


def _security(args: argparse.Namespace) -> Any:
    from distributed.security import Security

    if args.cluster_ca is None:
        return Security(require_encryption=True)  # Dask's distributed.comm.tls config
    return ClusterCerts(args.cluster_ca, args.cluster_cert, args.cluster_key).security()

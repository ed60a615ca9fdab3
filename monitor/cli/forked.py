"""The command line's side of the crawl fork server (monitor.crawl.forkserver): what a forked
crawl runs (`monitor ARGS`, as the command line would) and what the server imports first."""

from __future__ import annotations

from monitor.crawl.forkserver import ForkServer, redirect_stdout, use_command

PRELOAD = ["monitor.cli.preload"]  # the server imports it: the CLI and a crawl's modules


def run(args: list[str], out: str) -> None:
    """The child: `monitor ARGS` with standard output into `out`; exits with its exit code."""
    redirect_stdout(out)
    from monitor.cli import main

    main(args=args, prog_name="monitor")  # exits (SystemExit carries the exit code)


def fork_server() -> ForkServer:
    """The process's fork server, running `monitor` commands."""
    use_command(run, PRELOAD)
    return ForkServer()

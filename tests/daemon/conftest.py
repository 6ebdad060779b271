from tests.daemon.daemonproc import start_daemon

__all__ = ["start_daemon"]

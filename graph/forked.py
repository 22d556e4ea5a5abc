"""Run one step in a forked child process while the caller goes on, then collect what it returned.

Why: after extraction the build's post-build steps ran one after another on one core while the
other idled. The page reads the same in-memory store as the reasoner and the checks, and neither
needs the other's result. A forked child sees that store copy-on-write at no cost, where a spawned
process would have to load the graph again (66 s at 10,000 documents).

Fork only where it is safe: Linux (macOS's system libraries are not fork-safe, Windows has no
fork). Elsewhere `fork_call` returns None and the caller runs the step itself. The child touches
only what the step touches; other threads of the parent (the build's store writer) do not exist in
it. It ends with os._exit, so no exit handler of the parent (closing the on-disk store, say) runs
twice.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["Forked", "ForkedError", "fork_call"]


class ForkedError(RuntimeError):
    """The child failed: it raised (the message is its error's) or died without an answer."""


class Forked:
    """A step running in a child process; `result()` waits for it."""

    def __init__(self, pid: int, fd: int, name: str) -> None:
        self.pid = pid
        self.name = name
        self._fd = fd
        self._done = False

    def result(self) -> Any:
        """Wait for the child and return what the step returned.

        Raises:
            ForkedError: the step raised in the child (its type and message), or the child died.
        """
        with os.fdopen(self._fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self._done = True
        if not data:
            code = os.waitstatus_to_exitcode(status)
            raise ForkedError(f"{self.name}: child process ended without an answer (exit code {code})")
        ok, value = pickle.loads(data)
        if not ok:
            raise ForkedError(f"{self.name}: {value}")
        return value

    def cancel(self) -> None:
        """Stop the child if it is still running (the caller failed and will not collect it)."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self._fd)


def fork_call(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Forked | None:
    """Start `fn(*args, **kwargs)` in a forked child; None where forking is not safe (not Linux).

    `fn`'s return value must pickle. The child writes it to a pipe and exits; whatever `fn` writes
    to files is the child's own doing (write atomically).
    """
    if not sys.platform.startswith("linux"):
        return None
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns of fork in a threaded process: the child here never uses what the
        # other threads hold (see the module docstring)
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(read_fd)
            try:
                answer = (True, fn(*args, **kwargs))
            except BaseException as exc:  # handed to the parent as text
                answer = (False, f"{type(exc).__name__}: {exc}")
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(pickle.dumps(answer))
            code = 0
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            os._exit(code)
    os.close(write_fd)
    return Forked(pid, read_fd, name)

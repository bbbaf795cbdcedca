"""pytest wiring for the outbox black-box suite.

Run: python3 -m pytest -q -p no:cacheprovider tests/integration --outbox-binary build/src/app/outbox
"""

import os
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (ADMIN_KEY, FaultSMTPServer, OutboxProcess,  # noqa: E402
                     RecordingSMTPServer)

# Where the build puts the executable: the contract's path first, then the top of the
# build tree (RUNTIME_OUTPUT_DIRECTORY = PROJECT_BINARY_DIR).
DEFAULT_BINARIES = ("/work/main/build/src/app/outbox", "/work/main/build/outbox")
DEFAULT_BINARY = next((p for p in DEFAULT_BINARIES if os.path.isfile(p)), DEFAULT_BINARIES[0])


def pytest_addoption(parser):
    parser.addoption("--outbox-binary", action="store",
                     default=os.environ.get("OUTBOX_BINARY") or DEFAULT_BINARY,
                     help="path to the built outbox executable "
                          "(default: $OUTBOX_BINARY or %s)" % DEFAULT_BINARY)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running test (still part of the default run)")
    config.addinivalue_line("markers", "browser: drives chromium (marked by the browsers fixture)")


def pytest_collection_modifyitems(items):
    for item in items:
        if "browsers" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def outbox_binary(request):
    path = os.path.abspath(request.config.getoption("--outbox-binary"))
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"outbox binary not found or not executable: {path} "
                    f"(build it, or pass --outbox-binary / set OUTBOX_BINARY)", pytrace=False)
    return path


class OutboxFactory:
    """Creates outbox processes in fresh temporary data dirs and cleans them all up."""

    def __init__(self, binary, tmp_factory):
        self.binary = binary
        self.tmp_factory = tmp_factory
        self.created = []

    def __call__(self, *args, env=None, admin_key=ADMIN_KEY, start=True, data_dir=None,
                 work_dir=None, listen="127.0.0.1:0"):
        base = self.tmp_factory()
        ob = OutboxProcess(self.binary,
                           data_dir or os.path.join(base, "data"),
                           work_dir or os.path.join(base, "work"),
                           args=args, env=env, admin_key=admin_key, listen=listen)
        self.created.append(ob)
        if start:
            ob.start()
        return ob

    def cleanup(self):
        for ob in self.created:
            if ob.running():
                rc, _ = ob.stop(timeout=5)
                if rc is None:
                    ob.kill()


@pytest.fixture
def outbox(outbox_binary, tmp_path_factory):
    """Factory: outbox(*flags, env=None, admin_key=ADMIN_KEY, start=True) -> OutboxProcess."""
    factory = OutboxFactory(outbox_binary, lambda: str(tmp_path_factory.mktemp("outbox")))
    yield factory
    factory.cleanup()


@pytest.fixture(scope="module")
def module_outbox(outbox_binary, tmp_path_factory):
    """Same factory, but the processes live for the whole test module."""
    factory = OutboxFactory(outbox_binary, lambda: str(tmp_path_factory.mktemp("outbox")))
    yield factory
    factory.cleanup()


@pytest.fixture
def smtp_server():
    """Factory: smtp_server(policy=None, delay=0.0) -> started RecordingSMTPServer."""
    servers = []

    def make(policy=None, delay=0.0):
        s = RecordingSMTPServer(policy=policy, delay=delay).start()
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


@pytest.fixture
def fault_smtp():
    """Factory: fault_smtp(drop_in_data=0, reject_greetings=0, start=True) -> FaultSMTPServer."""
    servers = []

    def make(drop_in_data=0, reject_greetings=0, start=True):
        s = FaultSMTPServer(drop_in_data=drop_in_data, reject_greetings=reject_greetings)
        servers.append(s)
        if start:
            s.start()
        return s

    yield make
    for s in servers:
        s.close()


# --------------------------------------------------------------------------- dashboard


def _write_line(config, line):
    """A line in the run's output as it happens (pytest captures fd 1 during tests)."""
    reporter = config.pluginmanager.getplugin("terminalreporter")
    capture = config.pluginmanager.getplugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


# Session-wide here, not in dashboard_browser.py: a fixture that test modules import is one
# fixture per module, and each would make (and print) its own folder.
@pytest.fixture(scope="session")
def shots(request):
    """The folder screenshots go to, named once in the run's output."""
    folder = tempfile.mkdtemp(prefix="outbox-dashboard-")
    _write_line(request.config, f"dashboard screenshots: {folder}")
    return folder


@pytest.fixture(scope="session")
def report(request):
    """Writes a line to the run's output (not captured)."""
    return lambda line: _write_line(request.config, line)

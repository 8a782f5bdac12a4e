"""The JupyterLab server the ui-tests run against (started by playwright.config.js's webServer)."""

import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 (`c` is the config object jupyter provides)

# CI and this project's machines run as root; the server refuses to start as root otherwise.
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
# Another checkout on the same machine may be running its ui-tests on the default port.
c.ServerApp.port = int(os.environ.get("GRADCAM_UI_TESTS_PORT", "8888"))  # noqa: F821
# Errors only: the server's log is interleaved with the test runner's output, and Galata's
# clean-up of each test's folder logs harmless 404 warnings.
c.Application.log_level = "ERROR"  # noqa: F821

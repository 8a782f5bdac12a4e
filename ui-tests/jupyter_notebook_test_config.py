"""The Jupyter Notebook 7 server the other-front-end tests run against (playwright-notebook.config.js).

Plain server settings, without Galata's helper extension: the test sees Notebook 7 as a user does.
"""

import os
from tempfile import mkdtemp

c.ServerApp.allow_root = True  # noqa: F821 (`c` is the config object jupyter provides)
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
c.ServerApp.port = int(os.environ.get("GRADCAM_UI_TESTS_PORT", "8888"))  # noqa: F821
c.ServerApp.port_retries = 0  # noqa: F821
c.ServerApp.open_browser = False  # noqa: F821
c.ServerApp.root_dir = mkdtemp(prefix="gradcam-notebook7-")  # noqa: F821
c.IdentityProvider.token = ""  # noqa: F821
c.ServerApp.password = ""  # noqa: F821
c.ServerApp.disable_check_xsrf = True  # noqa: F821
# window.jupyterapp, so that the test can wait for the kernel and run cells as the menus do.
c.JupyterNotebookApp.expose_app_in_browser = True  # noqa: F821
c.Application.log_level = "ERROR"  # noqa: F821

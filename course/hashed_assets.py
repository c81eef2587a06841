"""The front end's JupyterLab extensions, cached by the browser for good where their names say
their content.

Voila serves ``/voila/labextensions/`` with ``Cache-Control: no-cache`` for every file, so each
page a trainee opens asks the server again for the same 17 scripts (304 each, one round trip
after another: the module federation loads ``remoteEntry`` and then its chunks). Webpack names
those files after a hash of their content (``remoteEntry.c8c9eed2cdefdeac.js``,
``704.6a820cc839aca480.js``): a changed file has a new name, so such a name can be cached as
immutable. Files without a hash in their name (``package.json``, ``style.js``) keep Voila's
``no-cache``.
"""

from __future__ import annotations

import re

from jupyter_server.base.handlers import FileFindHandler

# A webpack content hash: at least 16 hex digits between dots, just before the extension.
HASHED_NAME = re.compile(r"\.[0-9a-f]{16,}\.(?:js|css|wasm|woff2?|svg|png)$")
IMMUTABLE = "public, max-age=31536000, immutable"
LABEXTENSIONS_ROUTE = r"/voila/labextensions/(.*)"  # Voila's, under the server's base URL


class HashedAssetsHandler(FileFindHandler):
    """Voila's labextensions handler, with content-hashed files cached for a year."""

    def set_headers(self) -> None:
        super().set_headers()
        if HASHED_NAME.search(self.request.path):
            self.set_header("Cache-Control", IMMUTABLE)


def with_hashed_assets(handlers: list) -> list:
    """``handlers`` (a Tornado route list) with Voila's labextensions route served by
    :class:`HashedAssetsHandler`; every other route as it was."""
    return [
        (route, HashedAssetsHandler, *rest)
        if handler is FileFindHandler and route.endswith(LABEXTENSIONS_ROUTE)
        else (route, handler, *rest)
        for route, handler, *rest in handlers
    ]

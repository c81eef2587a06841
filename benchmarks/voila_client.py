"""A Voila page as its front end uses it, without a browser: the page over HTTP, then its kernel
over Jupyter's kernel websocket protocol and its widgets over ipywidgets' protocol 2.1.0.

What Voila 0.5's page does, and this module does the same (``@voila-dashboards/widgets-manager8``
and ``@jupyter-widgets/base-manager``): read ``kernelId`` from the page's ``jupyter-config-data``;
ask ``api/kernels/<id>`` for the kernel; open ``api/kernels/<id>/channels`` with the
``v1.kernel.websocket.jupyter.org`` subprotocol and ask for the kernel's info; open a comm to
``jupyter.widget.control`` and send ``request_states``, whose ``update_states`` answer holds
every widget's state; then change a widget with a comm message ``update`` and click a button with
``custom`` ``{"event": "click"}``. Leaving the page posts ``voila/api/shutdown/<id>`` with the
``_xsrf`` cookie's token (a beacon) and closes the websocket.

One :class:`aiohttp.ClientSession` is one browser: its own cookie jar (the learner cookie, ``_xsrf``
and Voila's user cookie).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)

WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"  # the one JupyterLab's services prefer
CONFIG = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S)
OUTPUTS = re.compile(r'<script type="application/vnd\.voila\.cell-output\+json">(.*?)</script>', re.S)
MAX_MESSAGE_BYTES = 64 * 2**20  # a page's widget states, situations drawn in HTML included


class PageProblem(Exception):
    """The page or its kernel did not do what the front end waits for; says what it waited for."""


def browser(timeout: float) -> aiohttp.ClientSession:
    """A new browser: an empty cookie jar that keeps the cookies of a server named by its IP
    address (aiohttp's default jar refuses them), no connection limit."""
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=aiohttp.TCPConnector(limit=0),
        timeout=aiohttp.ClientTimeout(total=None, sock_read=timeout),
    )


def cookie(session: aiohttp.ClientSession, name: str) -> str | None:
    found = [c.value for c in session.cookie_jar if c.key == name]
    return found[0] if found else None


def page_config(body: str) -> dict[str, Any]:
    """The page's ``jupyter-config-data`` (``kernelId``, ``baseUrl``...)."""
    found = CONFIG.search(body)
    if found is None:
        raise PageProblem("the page has no jupyter-config-data")
    return json.loads(found.group(1))


def page_outputs(body: str) -> list[dict[str, Any]]:
    """The outputs of the page's code cells, as Voila put them in the page."""
    return [json.loads(found) for found in OUTPUTS.findall(body)]


def page_views(body: str) -> list[str]:
    """The model ids of the widgets the page displays, in page order."""
    views = (o.get("data", {}).get("application/vnd.jupyter.widget-view+json") for o in page_outputs(body))
    return [view["model_id"] for view in views if view]


def page_trouble(body: str) -> str:
    """What the page shows instead of widgets: its error or stream outputs, or that it has none
    (Voila stops a notebook silently when a cell times out)."""
    said = [
        f"{o.get('ename')}: {o.get('evalue')}" if o["output_type"] == "error" else str(o.get("text"))
        for o in page_outputs(body)
        if o.get("output_type") in ("error", "stream")
    ]
    return "; ".join(text[:200] for text in said) or "no output at all"


class Kernel:
    """The page's connection to its kernel: requests on the shell channel, widget states kept as
    the kernel publishes them on iopub (``comm_open``, ``update``, ``echo_update``)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, timeout: float) -> None:
        self.ws, self.timeout = ws, timeout
        self.session = uuid.uuid4().hex  # the client session id every message's header carries
        self.models: dict[str, dict[str, Any]] = {}  # model id -> {"model_name": ..., "state": {...}}
        self.updates: dict[str, int] = {}  # model id -> how many updates the kernel sent so far
        self.replies: dict[str, asyncio.Future] = {}  # request msg_id -> its shell reply
        self.idle: dict[str, asyncio.Event] = {}  # request msg_id -> the kernel went idle after it
        self.control: dict[str, asyncio.Future] = {}  # control comm id -> its update_states
        self.changed = asyncio.Condition()
        self.closed: str | None = None  # why the websocket closed, once it has
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, http: aiohttp.ClientSession, base: str, kernel_id: str, timeout: float) -> Kernel:
        ws_base = "ws" + base.removeprefix("http")
        ws = await http.ws_connect(
            f"{ws_base}/api/kernels/{kernel_id}/channels",
            params={"session_id": uuid.uuid4().hex},
            protocols=[WS_PROTOCOL],
            origin=base,
            max_msg_size=MAX_MESSAGE_BYTES,
        )
        if ws.protocol != WS_PROTOCOL:
            raise PageProblem(f"the server chose websocket subprotocol {ws.protocol!r}, not {WS_PROTOCOL}")
        return cls(ws, timeout)

    # -- messages -----------------------------------------------------------------------------
    def _header(self, msg_type: str) -> dict[str, Any]:
        return {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "session": self.session,
            "username": "",
            "date": datetime.now(UTC).isoformat(),
            "version": "5.2",
        }

    async def send(
        self,
        msg_type: str,
        content: dict[str, Any],
        metadata: dict | None = None,
        reply: asyncio.Future | None = None,
    ) -> str:
        """Send a shell message (``reply``, when given, gets its reply's content); its msg_id."""
        header = self._header(msg_type)
        if reply is not None:
            self.replies[header["msg_id"]] = reply
        self.idle[header["msg_id"]] = asyncio.Event()
        parts = [json.dumps(p).encode() for p in (header, {}, metadata or {}, content)]
        await self.ws.send_bytes(serialize_msg_to_ws_v1(parts, "shell"))
        return header["msg_id"]

    async def request(self, msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
        """Send a shell request and wait for its reply's content."""
        reply: asyncio.Future = asyncio.get_running_loop().create_future()
        await self.send(msg_type, content, reply=reply)
        return await self._wait(reply, f"the {msg_type} reply")

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.BINARY:
                    continue
                channel, parts = deserialize_msg_from_ws_v1(message.data)
                header, parent, _metadata, content = (json.loads(p) for p in parts[:4])
                await self._handle(channel, header, parent, content)
            self.closed = f"the server closed the websocket ({self.ws.close_code})"
        except Exception as exc:  # a broken connection ends the page: say how
            self.closed = f"the websocket broke: {exc!r}"
        finally:
            self.closed = self.closed or "the page closed the websocket"
            async with self.changed:
                self.changed.notify_all()

    async def _handle(self, channel: str, header: dict, parent: dict, content: dict) -> None:
        kind, parent_id = header["msg_type"], parent.get("msg_id")
        if channel == "shell" and parent_id in self.replies:
            self.replies.pop(parent_id).set_result(content)
        elif kind == "status" and content.get("execution_state") == "idle" and parent_id in self.idle:
            self.idle.pop(parent_id).set()
        elif kind == "comm_open" and content.get("target_name") == "jupyter.widget":
            data = content["data"]
            self.models[content["comm_id"]] = {"model_name": data["state"].get("_model_name"), **data}
        elif kind == "comm_msg":
            data, comm = content["data"], content["comm_id"]
            if data.get("method") == "update_states" and comm in self.control:
                self.control.pop(comm).set_result(data)
            elif data.get("method") in ("update", "echo_update") and comm in self.models:
                self.models[comm]["state"].update(data["state"])
                self.updates[comm] = self.updates.get(comm, 0) + 1
        else:
            return
        async with self.changed:
            self.changed.notify_all()

    async def _wait(self, awaitable, what: str):
        if self.closed:
            raise PageProblem(f"{self.closed} before {what}")
        try:
            return await asyncio.wait_for(awaitable, self.timeout)
        except TimeoutError:
            raise PageProblem(f"no {what} within {self.timeout:.0f} s") from None

    async def until(self, ready: Callable[[], bool], what: str) -> None:
        """Wait until ``ready()`` holds on the widgets' states (checked after each message)."""

        async def check() -> None:
            async with self.changed:
                await self.changed.wait_for(lambda: ready() or self.closed is not None)
            if not ready():
                raise PageProblem(f"{self.closed} while waiting for {what}")

        await self._wait(asyncio.ensure_future(check()), what)

    async def until_idle(self, msg_id: str, what: str) -> None:
        """Wait until the kernel has handled the shell message ``msg_id`` (its idle status)."""
        event = self.idle.get(msg_id)
        if event is not None:
            await self._wait(asyncio.ensure_future(event.wait()), what)

    # -- widgets --------------------------------------------------------------------------------
    async def widget_states(self) -> dict[str, dict[str, Any]]:
        """Every widget's state, as the widget manager loads them when the page opens."""
        control = uuid.uuid4().hex
        answer: asyncio.Future = asyncio.get_running_loop().create_future()
        self.control[control] = answer
        opened = {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}}
        await self.send("comm_open", opened, metadata={"version": "1.0.0"})
        await self.send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
        data = await self._wait(answer, "the widgets' states (update_states)")
        await self.send("comm_close", {"comm_id": control, "data": {}})
        for model_id, model in data["states"].items():
            self.models.setdefault(model_id, model)
        async with self.changed:
            self.changed.notify_all()
        return self.models

    def find(self, model_name: str, dom_class: str) -> str:
        """The id of the one widget of ``model_name`` carrying the CSS class ``dom_class``."""
        found = [
            model_id
            for model_id, model in self.models.items()
            if model["state"].get("_model_name") == model_name
            and dom_class in model["state"].get("_dom_classes", ())
        ]
        if len(found) != 1:
            raise PageProblem(f"expected one {model_name} of class {dom_class}, found {len(found)}")
        return found[0]

    def state(self, model_id: str) -> dict[str, Any]:
        return self.models[model_id]["state"]

    async def update(self, model_id: str, **state: Any) -> str:
        """Change a widget's state as its view does (e.g. a radio button chosen); the msg_id."""
        self.models[model_id]["state"].update(state)
        data = {"method": "update", "state": state, "buffer_paths": []}
        return await self.send("comm_msg", {"comm_id": model_id, "data": data})

    async def click(self, model_id: str) -> str:
        """Click a button as its view does; the msg_id."""
        data = {"method": "custom", "content": {"event": "click"}}
        return await self.send("comm_msg", {"comm_id": model_id, "data": data})

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


async def open_page(http: aiohttp.ClientSession, url: str) -> tuple[aiohttp.ClientResponse, str, float]:
    """GET a page as a browser navigates to it: the response, its whole (streamed) body, and the
    seconds until the last byte."""
    start = time.monotonic()
    async with http.get(url) as response:
        body = await response.text()
    return response, body, time.monotonic() - start


async def leave_page(http: aiohttp.ClientSession, base: str, kernel: Kernel | None, kernel_id: str) -> int:
    """Leave the page as Voila's ``beforeunload`` does: post the kernel's shutdown with the
    ``_xsrf`` cookie's token as a form (``navigator.sendBeacon``), close the websocket if it was
    open. The shutdown's HTTP status (204 when the server shut the kernel down)."""
    form = aiohttp.FormData({"_xsrf": cookie(http, "_xsrf") or ""})
    beacon = asyncio.ensure_future(http.post(f"{base}/voila/api/shutdown/{kernel_id}", data=form))
    if kernel is not None:
        await kernel.close()
    async with await beacon as response:
        await response.read()
        return response.status

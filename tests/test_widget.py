"""The chat widget end to end, as a student uses it: the demo helpdesk page (web/index.html with the
widget built by `make`) in Debian's headless Chromium, talking over socket.io to a real Rasa server
and action server.

Every check is on what the student sees: the launcher, the panel, the messages, the quick replies,
the typing indicator and the connection message. Screenshots go to tests/artifacts/widget-*.png.
"""

import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import BrowserContext, Locator, Page, expect

from harness.bot import ARTIFACTS, free_port, running_bot
from harness.browser import system_chromium

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
BUNDLE = WEB / "dist" / "helpdesk-widget.js"
DEMO_SERVER_URL = 'data-server-url="http://localhost:5005"'

TITLE = "信息化服务台 · 智能助手"
LAUNCHER = "在线咨询"
INPUT = "请输入你的问题"
QUESTION = "智慧职教APP怎么退出登录"
APP_STEPS = "“账户与安全”→“退出登录”"
WALKTHROUGH_OFFER = "需要我一步一步带你操作吗？"
WALKTHROUGH_STEP_1 = "第1/5步：打开智慧职教APP"
WALKTHROUGH_STEP_2 = "第2/5步：滑动到页面底部"
NEXT = "下一步"
VIEW_SOURCES = "查看原文"
ICVE_DOCUMENT = "📄《智慧职教怎么退出账号?详细操作步骤与常见问题解答》（2025-10-16）原文："
DISCONNECTED = "连接已断开，正在重新连接…"
UNREACHABLE = "暂时连不上服务台"

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
REPLY_TIMEOUT_MS = 60_000  # a 2-core machine running two bots at once can be slow to answer
RECONNECT_TIMEOUT_MS = 30_000


# ---------- the web pages: web/ served on loopback, the widget pointed at the test's bot ----------

# The pages with the widget, and the widget's attributes a test may add with a query parameter.
PAGES = {"/": "index.html", "/index.html": "index.html", "/staff.html": "staff.html"}
ATTRIBUTES = {"history": "data-history-minutes", "shared": "data-shared-device"}


class DemoPageHandler(SimpleHTTPRequestHandler):
    """Serves web/; the demo page (and the staff page) gets `?server=URL` (default: the bot) as its
    widget's server URL, `?history=30` and `?shared=true` as data-history-minutes and
    data-shared-device."""

    default_server_url = ""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path not in PAGES:
            return super().do_GET()
        query = parse_qs(url.query)
        server_url = query.get("server", [self.default_server_url])[0]
        page = (WEB / PAGES[url.path]).read_text(encoding="utf-8")
        assert page.count(DEMO_SERVER_URL) == 1, f"web/{PAGES[url.path]} no longer has the demo's server URL"
        extra = "".join(
            f' {attribute}="{query[name][0]}"' for name, attribute in ATTRIBUTES.items() if name in query
        )
        body = page.replace(DEMO_SERVER_URL, f'data-server-url="{server_url}"{extra}').encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class Site:
    """An HTTP server for web/ on its own loopback port, i.e. its own origin."""

    def __init__(self) -> None:
        handler = type("Handler", (DemoPageHandler,), {})
        self.handler = handler
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(WEB)))
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def point_at(self, server_url: str) -> None:
        self.handler.default_server_url = server_url

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class TcpProxy:
    """Forwards a loopback port to the bot; stop() is the server going away, start() it coming back."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._listener: Optional[socket.socket] = None
        self._connections: List[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: same port again
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()


# ---------- fixtures ----------


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


@pytest.fixture(scope="module")
def other_site() -> Iterator[Site]:
    """Another origin, not in the bot's allowed origins."""
    s = Site()
    yield s
    s.close()


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory, site):
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE.relative_to(ROOT)} is missing: `make test` builds it (make widget)")
    with running_bot(
        trained_model,
        tmp_path_factory.mktemp("widget-bot"),
        allowed_origins=[site.origin],
        log_prefix="widget-",
    ) as running:
        site.point_at(running.url)
        yield running


@pytest.fixture(scope="module")
def browser():
    with system_chromium() as launched:
        yield launched


@pytest.fixture
def new_context(browser, request) -> Iterator:
    """Fresh browser contexts (fresh storage); the page's console is kept in tests/artifacts."""
    contexts: List[BrowserContext] = []
    console: List[str] = []

    def make(viewport: Dict) -> BrowserContext:
        context = browser.new_context(locale="zh-CN", **viewport)
        context.set_default_timeout(REPLY_TIMEOUT_MS)
        context.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        context.on("weberror", lambda e: console.append(f"page error: {e.error}"))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    name = request.node.name.replace("[", "-").replace("]", "")
    (ARTIFACTS / f"widget-console-{name}.log").write_text("\n".join(console) + "\n", encoding="utf-8")


# ---------- what the student sees ----------


class Widget:
    def __init__(
        self, page: Page, title: str = TITLE, launcher: str = LAUNCHER, placeholder: str = INPUT
    ) -> None:
        self.page = page
        self.launcher = page.get_by_role("button", name=launcher)
        self.panel = page.get_by_role("dialog", name=title)
        self.input = self.panel.get_by_role("textbox", name=placeholder)
        self.send_button = self.panel.get_by_role("button", name="发送", exact=True)
        self.banner = self.panel.get_by_role("alert")
        self.typing = self.panel.locator(".hd-typing")
        self.user_messages = self.panel.locator(".hd-user .hd-bubble")
        self.bot_messages = self.panel.locator(".hd-bot .hd-bubble")
        self.quick_replies = self.panel.get_by_role("group", name="快捷回复").get_by_role("button")

    def open(self, tap: bool = False) -> None:
        expect(self.launcher).to_be_visible()
        self.launcher.tap() if tap else self.launcher.click()
        expect(self.panel).to_be_visible()

    def wait_connected(self) -> None:
        expect(self.send_button).to_be_enabled(timeout=RECONNECT_TIMEOUT_MS)
        expect(self.banner).to_be_hidden()

    def bot_says(self, text: str) -> Locator:
        message = self.bot_messages.filter(has_text=text).last
        expect(message).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        return message

    def ask(self, text: str, expected_reply: str) -> Locator:
        """Types a message, sends it with Enter and waits for the bot's reply holding expected_reply."""
        self.input.fill(text)
        self.input.press("Enter")
        return self.bot_says(expected_reply)

    def quick_reply(self, title: str) -> Locator:
        return self.panel.get_by_role("group", name="快捷回复").get_by_role("button", name=title)

    def watch_typing(self) -> None:
        """Records whether the typing indicator was shown (it may show for a moment only)."""
        self.page.evaluate("""() => {
            const typing = document.querySelector('#helpdesk-widget').shadowRoot.querySelector('.hd-typing');
            window.__typingShown = !typing.hidden;
            new MutationObserver(() => { if (!typing.hidden) window.__typingShown = true; })
                .observe(typing, {attributes: true});
        }""")

    def typing_was_shown(self) -> bool:
        return self.page.evaluate("() => window.__typingShown === true")

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"widget-{name}.png"))


def goto(page: Page, url: str) -> Widget:
    page.goto(url)
    return Widget(page)


def open_on_phone(new_context, site) -> Widget:
    """The demo page on a phone, the widget opened by a tap and connected."""
    widget = goto(new_context(PHONE).new_page(), site.origin + "/")
    widget.open(tap=True)
    widget.wait_connected()
    return widget


def rendered_lines(message: Locator) -> List[str]:
    """The message's lines as the browser lays them out (innerText keeps only rendered breaks)."""
    return [line.strip() for line in message.inner_text().split("\n") if line.strip()]


# ---------- tests ----------


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_ask_tap_quick_reply_reload_and_come_back(device, bot, site, new_context):
    """On a site that keeps the conversation for 30 minutes (data-history-minutes="30"); the
    default and shared computers: tests/test_widget_shared.py."""
    context = new_context(VIEWPORTS[device])
    page = context.new_page()
    phone = device == "phone"
    kept = site.origin + "/?history=30"
    widget = goto(page, kept)
    expect(page.get_by_role("heading", name="账号问题，先问问服务台智能助手")).to_be_visible()
    expect(widget.panel).to_be_hidden()
    widget.screenshot(f"{device}-1-page")

    widget.open(tap=phone)
    expect(widget.bot_messages.first).to_contain_text("试试问我：智慧职教APP怎么退出登录")
    widget.wait_connected()
    box, size = widget.panel.bounding_box(), page.viewport_size
    if phone:  # the whole screen, launcher hidden behind it
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, size["width"], size["height"])
        expect(widget.launcher).to_be_hidden()
    else:  # a floating panel in the bottom right corner, the page still visible beside it
        assert 320 <= box["width"] <= 480 and box["x"] > size["width"] / 2
        assert box["y"] > 0 and box["y"] + box["height"] < size["height"]
        expect(widget.launcher).to_be_visible()

    widget.watch_typing()
    widget.input.fill(QUESTION)
    widget.input.press("Enter")
    expect(widget.user_messages.last).to_have_text(QUESTION)
    expect(widget.input).to_have_value("")
    answer = widget.bot_says(APP_STEPS)
    assert widget.typing_was_shown(), "no typing indicator between sending and the reply"
    expect(widget.typing).to_be_hidden()
    # The numbered steps each start on a line of their own.
    lines = rendered_lines(answer)
    for number in range(1, 6):
        assert any(line.startswith(f"{number}. ") for line in lines), (number, lines)
    assert any(line.startswith("3. ") and APP_STEPS in line for line in lines), lines
    expect(widget.quick_reply(WALKTHROUGH_OFFER)).to_be_visible()
    widget.screenshot(f"{device}-2-answer")

    # A quick reply: its title shows as the student's message, its payload gets the answer.
    offer = widget.quick_reply(WALKTHROUGH_OFFER)
    offer.tap() if phone else offer.click()
    expect(widget.user_messages.last).to_have_text(WALKTHROUGH_OFFER)
    widget.bot_says(WALKTHROUGH_STEP_1)
    expect(widget.quick_reply(WALKTHROUGH_OFFER)).to_have_count(0)  # answered: gone
    expect(widget.quick_reply(NEXT)).to_be_visible()
    widget.screenshot(f"{device}-3-quick-reply")

    # Reload: the panel is still open with the whole conversation, and it goes on where it was.
    page.reload()
    widget = Widget(page)
    expect(widget.panel).to_be_visible()
    expect(widget.user_messages).to_have_text([QUESTION, WALKTHROUGH_OFFER])
    expect(widget.bot_messages.filter(has_text=APP_STEPS)).to_have_count(1)
    expect(widget.bot_messages.filter(has_text=WALKTHROUGH_STEP_1)).to_have_count(1)
    widget.wait_connected()
    widget.screenshot(f"{device}-4-reloaded")
    next_step = widget.quick_reply(NEXT)
    next_step.tap() if phone else next_step.click()
    widget.bot_says(WALKTHROUGH_STEP_2)  # the server kept the walkthrough: same conversation

    # Coming back later (a new tab): only the launcher at first, the history when it is opened.
    page.close()
    later = Widget(context.new_page())
    later.page.goto(kept)
    expect(later.launcher).to_be_visible()
    expect(later.panel).to_be_hidden()
    later.open(tap=phone)
    expect(later.user_messages).to_have_text([QUESTION, WALKTHROUGH_OFFER, NEXT])
    expect(later.bot_messages.filter(has_text=WALKTHROUGH_STEP_2)).to_have_count(1)
    later.wait_connected()
    later.screenshot(f"{device}-5-later")


def test_tap_view_sources_shows_the_documents_sentences(bot, site, new_context):
    """ "查看原文" is a quick reply under every answer (issue 14): tapping it shows the quotes."""
    widget = goto(new_context(DESKTOP).new_page(), site.origin + "/")
    widget.open()
    widget.wait_connected()
    widget.ask(QUESTION, APP_STEPS)
    widget.quick_reply(VIEW_SOURCES).click()
    expect(widget.user_messages.last).to_have_text(VIEW_SOURCES)
    sources = widget.bot_says(ICVE_DOCUMENT)
    lines = rendered_lines(sources)
    assert any(line.startswith("「打开智慧职教APP") for line in lines), lines
    widget.screenshot("desktop-6-sources")


def test_feedback_buttons_are_light_and_go_after_a_tap(bot, site, new_context):
    """有帮助 / 没帮助 (issue 18): two small buttons on one line under the answer, apart from the
    quick replies; tapping 没帮助 removes them and brings the reasons as quick replies, and the offer
    of a person (转人工, tests/test_handoff.py)."""
    widget = open_on_phone(new_context, site)
    widget.ask(QUESTION, APP_STEPS)
    row = widget.panel.get_by_role("group", name="这条回答有帮助吗")
    helpful, unhelpful = (
        row.get_by_role("button", name="👍 有帮助"),
        row.get_by_role("button", name="👎 没帮助"),
    )
    expect(helpful).to_be_visible()
    expect(unhelpful).to_be_visible()
    expect(widget.quick_reply("👎 没帮助")).to_have_count(0)  # not among the topic buttons
    expect(widget.quick_reply(VIEW_SOURCES)).to_be_visible()
    small, chip = helpful.bounding_box(), widget.quick_reply(VIEW_SOURCES).bounding_box()
    assert small["height"] < chip["height"], (small, chip)  # lighter than a quick reply
    assert abs(small["y"] - unhelpful.bounding_box()["y"]) < 1  # on one line
    widget.screenshot("phone-7-feedback")
    unhelpful.tap()
    widget.bot_says("点“转人工”")
    expect(row).to_have_count(0)
    expect(widget.panel.locator(".hd-feedback-button")).to_have_count(0)
    expect(widget.quick_reply("看不懂")).to_be_visible()
    expect(widget.quick_reply("转人工")).to_be_visible()
    widget.screenshot("phone-8-feedback-reasons")


def test_enter_while_composing_chinese_does_not_send(bot, site, new_context):
    context = new_context(DESKTOP)
    page = context.new_page()
    widget = goto(page, site.origin + "/")
    widget.open()
    widget.wait_connected()
    page.evaluate("""() => {
        window.__enterKeys = [];
        document.querySelector('#helpdesk-widget').shadowRoot.querySelector('textarea')
            .addEventListener('keydown', e => { if (e.key === 'Enter') window.__enterKeys.push(e.isComposing); }, true);
    }""")
    widget.input.focus()

    # Pinyin being composed; Enter picks the candidate (Chromium: keydown with isComposing).
    cdp = context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition", {"text": "zhihuizhijiao", "selectionStart": 13, "selectionEnd": 13})
    page.keyboard.press("Enter")
    assert page.evaluate("() => window.__enterKeys") == [True], "the test did not compose"
    cdp.send("Input.insertText", {"text": "智慧职教"})
    # Safari reports that Enter after compositionend, as keyCode 229.
    page.evaluate("""() => document.querySelector('#helpdesk-widget').shadowRoot.querySelector('textarea')
        .dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', keyCode: 229, bubbles: true, cancelable: true}))""")
    page.wait_for_timeout(1500)
    expect(widget.user_messages).to_have_count(0)
    expect(widget.input).not_to_have_value("")
    widget.screenshot("desktop-ime-composing")

    # Composition done: Enter sends what was typed.
    widget.input.fill(QUESTION)
    widget.input.press("Enter")
    expect(widget.user_messages).to_have_text([QUESTION])
    widget.bot_says(APP_STEPS)


def test_pages_from_other_origins_cannot_connect(bot, site, other_site, new_context):
    allowed, stranger = site.origin, other_site.origin
    handshake = f"{bot.url}/socket.io/?EIO=4&transport=polling"
    refused = requests.get(handshake, headers={"Origin": stranger}, timeout=10)
    assert refused.status_code == 400 and "not an accepted origin" in refused.text
    accepted = requests.get(handshake, headers={"Origin": allowed}, timeout=10)
    assert accepted.status_code == 200 and accepted.headers["Access-Control-Allow-Origin"] == allowed

    context = new_context(DESKTOP)
    widget = goto(context.new_page(), f"{stranger}/?server={bot.url}")
    widget.open()
    expect(widget.banner).to_contain_text(UNREACHABLE, timeout=RECONNECT_TIMEOUT_MS)
    expect(widget.send_button).to_be_disabled()
    widget.input.fill(QUESTION)
    widget.input.press("Enter")
    page = widget.page
    page.wait_for_timeout(1000)
    expect(widget.user_messages).to_have_count(0)
    widget.screenshot("desktop-refused-origin")

    # Nor can the page's own script open the WebSocket (browsers apply no CORS to WebSockets).
    open_websocket = """url => new Promise(done => {
        const ws = new WebSocket(url);
        ws.onopen = () => { ws.close(); done('open'); };
        ws.onerror = () => done('refused');
        setTimeout(() => done('timeout'), 10000);
    })"""
    ws_url = bot.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    assert page.evaluate(open_websocket, ws_url) == "refused"
    allowed_page = context.new_page()
    allowed_page.goto(allowed + "/")
    assert allowed_page.evaluate(open_websocket, ws_url) == "open"


def test_disconnect_message_and_reconnect(bot, site, new_context):
    proxy = TcpProxy(int(bot.url.rsplit(":", 1)[1]))
    proxy.start()
    try:
        context = new_context(DESKTOP)
        widget = goto(context.new_page(), f"{site.origin}/?server={proxy.url}")
        widget.open()
        widget.wait_connected()

        proxy.stop()  # the server goes away
        expect(widget.banner).to_have_text(DISCONNECTED, timeout=RECONNECT_TIMEOUT_MS)
        expect(widget.send_button).to_be_disabled()
        widget.page.wait_for_timeout(2000)  # a few reconnection attempts fail meanwhile
        expect(widget.banner).to_have_text(DISCONNECTED)
        widget.screenshot("desktop-disconnected")

        proxy.start()  # and comes back: the widget reconnects by itself
        widget.wait_connected()
        widget.ask("你好", "学信网")
    finally:
        proxy.stop()

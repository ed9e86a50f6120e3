"""The staff console at /staff/console, served by the Rasa server process (a custom channel in
credentials.yml, like the students' channels): staff log in, see the conversations waiting for a
person (待接入), with a person (进行中) and the messages left outside the desk's hours (留言), each
with its transcript so far as the tracker store keeps it (personal data masked,
stores/redacting.py), reply (the student reads it at once in the widget, or as a WeChat
customer-service message: refused when the student's last message is older than WeChat's window),
hand the conversation back to the bot, or close it. The handoff itself: channels/handoff.py.
Also, behind the same login: 报告 (/reports: feedback per topic with charts, the unanswered
questions, rehearsal results, laid out by staff/console_reports.py from the tracker store the
server is configured with; /reports/knowledge: the content owner's sign-off report) and 培训演练
(/rehearsal: the training rehearsal, the staff member's messages sent to the bot as this channel's
with the staff mark, in a conversation "console:<digest of the session>"; actions/rehearsal.py
accepts the mark from this channel, so no staff token is needed here).

- Accounts: HELPDESK_STAFF_ACCOUNTS, names with PBKDF2 hashes (staff/accounts.py). No default
  account: without it every login is refused. Wrong passwords are limited per client address like
  the staff token (MAX_WRONG_LOGINS within WRONG_LOGIN_WINDOW_S, then refused for the window),
  counted in channels/shared_state.py, so across replicas too.
- Session: a random token in a cookie (HttpOnly, SameSite=Strict, Path=/staff/console, Secure over
  HTTPS) that expires after HELPDESK_CONSOLE_SESSION_MINUTES (default 480); the server keeps only
  its SHA-256 digest, with the staff member's name and the session's CSRF token, in the shared state
  (memory, or Redis with REDIS_HOST). Logging out deletes it.
- Every POST carries a CSRF token in a hidden field: the session's (login: a cookie's, double
  submit); without it, or with another, it is refused with 403 and nothing is done.
- A request without a valid session gets the login page (302) for a page, 401 for anything else:
  no conversation, no name, no count. Students' channels offer no way in: the widget's socket has
  no staff event at all.

Texts: data/knowledge/presentation.yml (console); look: the widget's CSS (web/src/widget.css) and
web/console.css, with web/console.js refreshing the lists and transcripts every few seconds.
"""

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.handoff import OutsideWindow, desk, is_wechat
from channels.handoff_queue import MESSAGE, TAKEN, WAITING, Ticket
from channels.limits import MessageGate
from channels.senders import CONSOLE_PREFIX
from channels.shared_state import MemoryState, shared_state
from channels.staff import GuessLimit, with_role
from knowledge.loader import load_knowledge
from knowledge.render import handoff_buttons
from staff import console_reports, knowledge_report
from staff.accounts import StaffAccounts
from staff.console_reports import esc
from staff.desk import wechat_window_seconds

PATH = "/staff/console"
SESSION_COOKIE = "helpdesk_console"
LOGIN_COOKIE = "helpdesk_console_login"
CSRF_FIELD = "csrf"
SESSION_MINUTES_ENV = "HELPDESK_CONSOLE_SESSION_MINUTES"
DEFAULT_SESSION_MINUTES = 480
MAX_WRONG_LOGINS = 5
WRONG_LOGIN_WINDOW_S = 600
MAX_REPLY_CHARS = 2000
# The rehearsal page's conversation with the bot: stored as "console:<digest of the login session>".
REHEARSAL_PREFIX = CONSOLE_PREFIX
# The rehearsal's form (domain.yml forms, actions/rehearsal.py): while the conversation is in it the
# page offers the answer box and 结束演练, otherwise only 开始演练 (which would be graded as an answer).
REHEARSAL_FORM = "rehearsal_form"
ROOT = Path(__file__).resolve().parent.parent
ASSETS = {
    "style.css": ([ROOT / "web" / "src" / "widget.css", ROOT / "web" / "console.css"], "text/css"),
    "console.js": ([ROOT / "web" / "console.js"], "application/javascript"),
}
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
}


def post_form(
    action: Text, form_class: Text, csrf: Text, label: Text, button_class: Text, fields: Text = ""
) -> Text:
    """A form posted to `action` with its fields, the CSRF token every POST needs, and one button."""
    return (
        f'<form method="post" action="{action}" class="{form_class}">{fields}'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{esc(csrf)}">'
        f'<button type="submit" class="{button_class}">{esc(label)}</button></form>'
    )


def style_allowed(style: Text) -> Dict[Text, Text]:
    """HEADERS for a page that carries this one inline <style> (the knowledge report's): allowed by
    its SHA-256, nothing else inline."""
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
    policy = HEADERS["Content-Security-Policy"].replace(
        "style-src 'self'", f"style-src 'self' 'sha256-{digest}'"
    )
    return {**HEADERS, "Content-Security-Policy": policy}


def _digest(token: Text) -> Text:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffConsole(InputChannel):
    """Not a channel students talk through: the staff console's pages, at PATH."""

    @classmethod
    def name(cls) -> Text:
        return "staff_console"

    def url_prefix(self) -> Text:
        return PATH  # absolute: Rasa joins it to "/webhooks/", which keeps an absolute path as it is

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self, accounts: Optional[StaffAccounts] = None, state: Optional[MemoryState] = None) -> None:
        self.accounts = accounts or StaffAccounts.from_environment()
        self.gate = MessageGate()
        self._state = state
        self.logins = GuessLimit(
            "console-login", "Staff console", "passwords", MAX_WRONG_LOGINS, WRONG_LOGIN_WINDOW_S, state
        )
        self.session_seconds = 60 * float(os.environ.get(SESSION_MINUTES_ENV) or DEFAULT_SESSION_MINUTES)

    @property
    def state(self) -> MemoryState:
        return self._state if self._state is not None else shared_state()

    # ---- sessions ----

    async def staff_of(self, request: Request) -> Optional[Dict[Text, Text]]:
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > 200:
            return None
        session = await self.state.get(f"console:session:{_digest(token)}")
        return session if isinstance(session, dict) and session.get("staff") else None

    @staticmethod
    def csrf_ok(request: Request, expected: Optional[Text]) -> bool:
        offered = request.form.get(CSRF_FIELD) if request.form else None
        return bool(expected and isinstance(offered, str) and hmac.compare_digest(offered, expected))

    @staticmethod
    def cookie(resp: HTTPResponse, request: Request, name: Text, value: Text, seconds: int) -> None:
        resp.cookies[name] = value
        resp.cookies[name]["httponly"] = True
        resp.cookies[name]["samesite"] = "Strict"
        resp.cookies[name]["path"] = PATH
        resp.cookies[name]["max-age"] = seconds
        if request.scheme == "https":
            resp.cookies[name]["secure"] = True

    # ---- pages ----

    @staticmethod
    def texts() -> Dict[Text, Text]:
        return load_knowledge().presentation["console"]

    def page(self, body: Text, status: int = 200, staff: Optional[Dict[Text, Text]] = None) -> HTTPResponse:
        t = self.texts()
        account = nav = ""
        if staff:
            nav = (
                '<nav class="hc-nav">'
                + "".join(
                    f'<a href="{PATH}{href}">{esc(t[label])}</a>'
                    for href, label in (
                        ("/", "nav_queue"),
                        ("/reports", "nav_reports"),
                        ("/rehearsal", "nav_rehearsal"),
                    )
                )
                + "</nav>"
            )
            account = post_form(
                f"{PATH}/logout",
                "hc-account",
                staff["csrf"],
                t["logout"],
                "hd-quick-reply",
                f"<span>{esc(t['signed_in_as'].format(staff=staff['staff']))}</span>",
            )
        document = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="robots" content="noindex"><title>{esc(t["title"])}</title>'
            f'<link rel="stylesheet" href="{PATH}/style.css"><script src="{PATH}/console.js" defer></script>'
            '</head><body><div class="hd-root hc-root">'
            f'<header class="hc-header"><strong>{esc(t["title"])}</strong>{account}{nav}</header>'
            f"<main class=\"hc-main\">{body}</main></div></body></html>"
        )
        return response.html(document, status=status, headers=HEADERS)

    def login_page(self, request: Request, notice: Text = "", status: int = 200) -> HTTPResponse:
        t = self.texts()
        nonce = secrets.token_urlsafe(24)
        notice_html = f'<p class="hc-notice" role="alert">{esc(notice)}</p>' if notice else ""
        if not self.accounts.configured:
            notice_html = f'<p class="hc-notice" role="alert">{esc(t["not_configured"])}</p>'
        body = f'<h1>{esc(t["login_heading"])}</h1>{notice_html}' + post_form(
            f"{PATH}/login",
            "hc-login",
            nonce,
            t["login_button"],
            "hc-primary",
            f'<label>{esc(t["username"])}<input name="username" autocomplete="username" required></label>'
            f'<label>{esc(t["password"])}<input name="password" type="password" '
            'autocomplete="current-password" required></label>',
        )
        resp = self.page(body, status=status)
        self.cookie(resp, request, LOGIN_COOKIE, nonce, 3600)
        return resp

    def ticket_row(self, ticket: Ticket) -> Text:
        t = self.texts()
        when = time.strftime("%m-%d %H:%M", time.localtime(ticket.requested))
        detail = [t["requested_at"].format(time=when)]
        if is_wechat(ticket.sender):
            detail.insert(0, t["from_wechat"])
        if ticket.status == TAKEN and ticket.staff:
            detail.append(t["taken_by"].format(staff=ticket.staff))
        return (
            f'<li class="hc-ticket"><a href="{PATH}/c/{esc(ticket.id)}">{esc(t["open"])} · '
            f'{esc(" · ".join(detail))}</a></li>'
        )

    async def lists_html(self) -> Text:
        t = self.texts()
        tickets = await desk().queue.listed(desk().idle_seconds)
        parts = []
        for status in (WAITING, TAKEN, MESSAGE):
            rows = []
            place = 0
            for ticket in (x for x in tickets if x.status == status):
                place += 1
                row = self.ticket_row(ticket)
                if status == WAITING:
                    row = row.replace("</a>", f' · {esc(t["place"].format(place=place))}</a>', 1)
                rows.append(row)
            items = "".join(rows) or f'<li class="hc-empty">{esc(t["empty"])}</li>'
            parts.append(
                f'<section class="hc-section" data-status="{status}"><h2>{esc(t[status])}'
                f" <span class=\"hc-count\">{len(rows)}</span></h2><ul>{items}</ul></section>"
            )
        return "".join(parts)

    async def transcript_html(self, ticket: Ticket) -> Text:
        t = self.texts()
        titles = {b["payload"]: b["title"] for b in handoff_buttons(load_knowledge())}
        items = []
        for said in await desk().transcript(ticket.sender):
            text = said["text"]
            if said["from"] == "user" and text.startswith("/"):
                text = t["button_press"].format(payload=titles.get(text, text))
            who = {
                "user": t["student"],
                "bot": t["bot"],
                "staff": t["staff_said"].format(staff=said.get("staff") or ""),
            }[said["from"]]
            side = "user" if said["from"] == "user" else "bot"
            items.append(
                f'<li class="hd-message hd-{side} hc-{said["from"]}"><div class="hd-bubble">'
                f'<span class="hc-who">{esc(who)}</span>{esc(text)}</div></li>'
            )
        return "".join(items)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        console = Blueprint("staff_console", __name__, strict_slashes=False)
        console.listener("before_server_start")(lambda app, _: desk().attach_app(app))

        @console.route("/style.css", methods=["GET"])
        @console.route("/console.js", methods=["GET"])
        async def asset(request: Request) -> HTTPResponse:
            files, kind = ASSETS[request.path.rsplit("/", 1)[-1]]
            body = "\n".join(f.read_text(encoding="utf-8") for f in files)
            return response.text(
                body, content_type=f"{kind}; charset=utf-8", headers={"Cache-Control": "no-cache"}
            )

        @console.route("/login", methods=["GET"])
        async def login_form(request: Request) -> HTTPResponse:
            return self.login_page(request)

        @console.route("/login", methods=["POST"])
        async def login(request: Request) -> HTTPResponse:
            t = self.texts()
            nonce = request.cookies.get(LOGIN_COOKIE)
            if not self.csrf_ok(request, nonce):
                return self.page(f'<p class="hc-notice" role="alert">{esc(t["refused"])}</p>', status=403)
            address = request.remote_addr or request.ip or "unknown"
            if await self.logins.locked(address):
                return self.login_page(request, t["login_locked"], status=429)
            staff = self.accounts.verify(request.form.get("username"), request.form.get("password"))
            if staff is None:
                if await self.logins.wrong(address):
                    return self.login_page(request, t["login_locked"], status=429)
                return self.login_page(request, t["login_failed"], status=401)
            token = secrets.token_urlsafe(32)
            session = {"staff": staff, "csrf": secrets.token_urlsafe(32)}
            await self.state.put(f"console:session:{_digest(token)}", session, self.session_seconds)
            resp = response.redirect(PATH + "/", headers=HEADERS)
            self.cookie(resp, request, SESSION_COOKIE, token, int(self.session_seconds))
            self.cookie(resp, request, LOGIN_COOKIE, "", 0)  # used once
            return resp

        @console.route("/logout", methods=["POST"])
        async def logout(request: Request) -> HTTPResponse:
            staff = await self.staff_of(request)
            if staff is None or not self.csrf_ok(request, staff["csrf"]):
                return response.text("", status=403, headers=HEADERS)
            await self.state.pop(f"console:session:{_digest(request.cookies[SESSION_COOKIE])}")
            resp = response.redirect(PATH + "/login", headers=HEADERS)
            self.cookie(resp, request, SESSION_COOKIE, "", 0)
            return resp

        @console.route("/", methods=["GET"])
        async def lists(request: Request) -> HTTPResponse:
            staff = await self.staff_of(request)
            if staff is None:
                return response.redirect(PATH + "/login", headers=HEADERS)
            body = f'<div id="hc-lists" data-refresh="{PATH}/lists">{await self.lists_html()}</div>'
            return self.page(body, staff=staff)

        @console.route("/lists", methods=["GET"])
        async def lists_fragment(request: Request) -> HTTPResponse:
            if await self.staff_of(request) is None:
                return response.text("", status=401, headers=HEADERS)
            return response.html(await self.lists_html(), headers=HEADERS)

        @console.route("/c/<ticket_id>", methods=["GET"])
        async def conversation(request: Request, ticket_id: Text) -> HTTPResponse:
            staff = await self.staff_of(request)
            if staff is None:
                return response.redirect(PATH + "/login", headers=HEADERS)
            return await self.conversation_page(request, staff, ticket_id)

        @console.route("/c/<ticket_id>/messages", methods=["GET"])
        async def messages(request: Request, ticket_id: Text) -> HTTPResponse:
            if await self.staff_of(request) is None:
                return response.text("", status=401, headers=HEADERS)
            ticket = await desk().queue.get(ticket_id)
            if ticket is None:
                return response.text("", status=404, headers=HEADERS)
            return response.html(await self.transcript_html(ticket), headers=HEADERS)

        @console.route("/c/<ticket_id>/<action:(take|reply|handback|close)>", methods=["POST"])
        async def act(request: Request, ticket_id: Text, action: Text) -> HTTPResponse:
            staff = await self.staff_of(request)
            if staff is None:
                return response.text("", status=401, headers=HEADERS)
            if not self.csrf_ok(request, staff["csrf"]):
                return self.page(f'<p class="hc-notice" role="alert">{esc(self.texts()["refused"])}</p>', 403)
            name, done = staff["staff"], None
            if action == "take":
                done, _ = await desk().take(ticket_id, name)
            elif action == "reply":
                text = (request.form.get("text") or "").strip()[:MAX_REPLY_CHARS]
                try:
                    done = (
                        await desk().reply(ticket_id, name, text)
                        if text
                        else await desk().queue.get(ticket_id)
                    )
                except OutsideWindow:
                    hours = f"{wechat_window_seconds() / 3600:g}"
                    notice = self.texts()["wechat_window_closed"].format(hours=hours)
                    return await self.conversation_page(request, staff, ticket_id, status=409, notice=notice)
            else:
                done = await desk().end(ticket_id, name, closed=action == "close")
                if done is not None:
                    return response.redirect(PATH + "/", headers=HEADERS)
            if done is None:
                return await self.conversation_page(request, staff, ticket_id, status=409)
            return response.redirect(f"{PATH}/c/{ticket_id}", headers=HEADERS)

        # ---- 报告: feedback, unanswered questions, rehearsal results (staff/console_reports.py) ----

        @console.route("/reports", methods=["GET"])
        async def reports(request: Request) -> HTTPResponse:
            staff = await self.staff_of(request)
            if staff is None:
                return response.redirect(PATH + "/login", headers=HEADERS)
            days = request.args.get("days", "")
            days = int(days) if days.isdigit() and int(days) in console_reports.PERIODS else None
            weekly = request.args.get("by") == "week"
            agent = getattr(request.app.ctx, "agent", None)
            url = console_reports.store_url(agent.tracker_store) if agent is not None else None
            gathered = await asyncio.get_running_loop().run_in_executor(
                None, lambda: console_reports.gather(url, days or console_reports.DEFAULT_DAYS, weekly)
            )
            body = console_reports.page_body(
                self.texts(), load_knowledge(), gathered, PATH + "/reports", PATH + "/reports/knowledge"
            )
            return self.page(body, staff=staff)

        @console.route("/reports/knowledge", methods=["GET"])
        async def knowledge_page(request: Request) -> HTTPResponse:
            """The content owner's sign-off report (staff/knowledge_report.py), as `make
            knowledge-report` writes it."""
            if await self.staff_of(request) is None:
                return response.redirect(PATH + "/login", headers=HEADERS)
            knowledge = load_knowledge()

            def build() -> Text:
                documents = knowledge_report.read_documents(knowledge, knowledge_report.SEEDS)
                return knowledge_report.Report(knowledge, documents, knowledge_report.read_coverage()).build()

            page = await asyncio.get_running_loop().run_in_executor(None, build)
            return response.html(page, headers=style_allowed(knowledge_report.STYLE))

        # ---- 培训演练: a logged-in staff member rehearses here, without the staff token ----

        @console.route("/rehearsal", methods=["GET"])
        async def rehearsal(request: Request) -> HTTPResponse:
            staff = await self.staff_of(request)
            if staff is None:
                return response.redirect(PATH + "/login", headers=HEADERS)
            return self.page(await self.rehearsal_html(request, staff), staff=staff)

        @console.route("/rehearsal", methods=["POST"])
        async def rehearsal_say(request: Request) -> HTTPResponse:
            staff = await self.staff_of(request)
            if staff is None:
                return response.text("", status=401, headers=HEADERS)
            if not self.csrf_ok(request, staff["csrf"]):
                return self.page(f'<p class="hc-notice" role="alert">{esc(self.texts()["refused"])}</p>', 403)
            text = (request.form.get("text") or "").strip()[:MAX_REPLY_CHARS]
            # Through the gate of every channel (channels/limits.py): rate, length, control
            # characters, and slash commands only as the bot's own buttons send them.
            verdict = await self.gate.admit(self.name(), self.rehearsal_sender(request), text)
            if verdict.notice:
                body = await self.rehearsal_html(request, staff, notice=verdict.notice, draft=text)
                return self.page(body, status=429 if verdict.too_many else 413, staff=staff)
            if verdict.message:
                await on_new_message(
                    UserMessage(
                        verdict.message,
                        CollectingOutputChannel(),
                        self.rehearsal_sender(request),
                        input_channel=self.name(),
                        metadata=with_role({}, staff=True),
                    )
                )
            return response.redirect(PATH + "/rehearsal#hc-say", headers=HEADERS)

        return console

    @staticmethod
    def rehearsal_sender(request: Request) -> Text:
        """The rehearsal's conversation: one per login session, named by nothing the staff typed."""
        return REHEARSAL_PREFIX + _digest(request.cookies.get(SESSION_COOKIE, ""))[:24]

    async def rehearsal_html(
        self, request: Request, staff: Dict[Text, Text], notice: Text = "", draft: Text = ""
    ) -> Text:
        """The rehearsal page; with a notice, the refused message is put back in the answer box."""
        t = self.texts()
        items = []
        for said in await desk().transcript(self.rehearsal_sender(request)):
            side = "user" if said["from"] == "user" else "bot"
            who = t["rehearsal_you"] if side == "user" else t["rehearsal_bot"]
            items.append(
                f'<li class="hd-message hd-{side}"><div class="hd-bubble">'
                f'<span class="hc-who">{esc(who)}</span>{esc(said["text"])}</div></li>'
            )
        transcript = "".join(items) or f'<li class="hc-empty">{esc(t["rehearsal_empty"])}</li>'
        rehearsing = await desk().active_loop(self.rehearsal_sender(request)) == REHEARSAL_FORM

        def form(text: Text, label: Text, css: Text, extra: Text = "", action: Text = "say") -> Text:
            hidden = f'<input type="hidden" name="text" value="{esc(text)}">' if text else ""
            return post_form(
                f"{PATH}/rehearsal",
                f"hc-form hc-rehearsal-{action}",
                staff["csrf"],
                label,
                css,
                hidden + extra,
            )

        answer_box = (
            f'<label class="hc-reply-label">{esc(t["rehearsal_label"])}'
            f'<textarea name="text" rows="4" maxlength="{MAX_REPLY_CHARS}" required '
            f'placeholder="{esc(t["rehearsal_placeholder"])}">{esc(draft)}</textarea></label>'
        )
        notice_html = f'<p class="hc-notice" role="alert">{esc(notice)}</p>' if notice else ""
        return (
            f'<h1>{esc(t["rehearsal_heading"])}</h1><p class="hc-note">{esc(t["rehearsal_intro"])}</p>'
            + notice_html
            + '<div class="hc-row">'
            + (
                form(t["rehearsal_end_text"], t["rehearsal_end"], "hd-quick-reply", action="end")
                if rehearsing
                else form(t["rehearsal_start_text"], t["rehearsal_start"], "hc-primary", action="start")
            )
            + f'</div><ul class="hc-transcript" id="hc-rehearsal">{transcript}</ul>'
            + '<div id="hc-say">'
            + (form("", t["rehearsal_send"], "hc-primary", answer_box) if rehearsing else "")
            + "</div>"
        )

    async def conversation_page(
        self,
        request: Request,
        staff: Dict[Text, Text],
        ticket_id: Text,
        status: int = 200,
        notice: Text = "",
    ) -> HTTPResponse:
        t = self.texts()
        ticket = await desk().queue.get(ticket_id)
        back = f'<p><a href="{PATH}/" class="hc-back">{esc(t["back"])}</a></p>'
        if ticket is None or ticket.status not in (WAITING, TAKEN, MESSAGE):
            return self.page(back + f'<p class="hc-notice" role="alert">{esc(t["gone"])}</p>', 404, staff)
        refusal = f'<p class="hc-notice" role="alert">{esc(notice)}</p>' if notice else ""
        notice = ""
        if ticket.status == TAKEN and ticket.staff != staff["staff"]:
            notice = (
                f'<p class="hc-notice" role="alert">{esc(t["taken_by_other"].format(staff=ticket.staff))}</p>'
            )

        def form(action: Text, label: Text, extra: Text = "", css: Text = "hd-quick-reply") -> Text:
            url = f"{PATH}/c/{esc(ticket.id)}/{action}"
            return post_form(url, f"hc-form hc-{action}", staff["csrf"], label, css, extra)

        actions = ""
        if ticket.status == WAITING:
            actions += form("take", t["take"], css="hc-primary")
        if ticket.status in (WAITING, TAKEN) and not notice:
            reply_box = (
                f'<label class="hc-reply-label">{esc(t["reply_label"])}'
                f'<textarea name="text" rows="3" maxlength="{MAX_REPLY_CHARS}" required '
                f'placeholder="{esc(t["reply_placeholder"])}"></textarea></label>'
            )
            actions += form("reply", t["send"], reply_box, css="hc-primary")
            actions += '<div class="hc-row">' + form("handback", t["hand_back"])
            actions += form("close", t["close"]) + "</div>"
        elif ticket.status == MESSAGE:
            actions += '<div class="hc-row">' + form("close", t["close"]) + "</div>"
        heading = t[ticket.status]
        body = (
            back
            + f"<h1>{esc(heading)}</h1>{refusal}{notice}<h2>{esc(t['transcript'])}</h2>"
            + f'<ul class="hc-transcript" id="hc-transcript" data-refresh="{PATH}/c/{esc(ticket.id)}/messages">'
            + await self.transcript_html(ticket)
            + f'</ul><p class="hc-note">{esc(t["live_note"])}</p>{actions}'
        )
        return self.page(body, status=status, staff=staff)

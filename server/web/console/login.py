"""The console's login, when the broker has authentication.

Login is on whenever the broker authorizes (``authorizer.class.name`` set) or any listener is a
SASL one: then every console page asks for a user name and password first, checked against the
broker's own credentials, the ones its SASL listeners accept: the PLAIN users of any listener's
JAAS config, and the SCRAM-SHA-256/512 credentials kept by the broker (``kafka-configs
--alter --add-config 'SCRAM-SHA-256=[password=...]'``; the password is salted and hashed with
the stored salt and iterations and compared with the stored key, as a SCRAM exchange proves it).
The visitor then is ``User:<name>``, and sees and does what the authorizer lets that principal
(``access``).

The session is a cookie signed with a key made at start-up (Starlette's SessionMiddleware):
logging in again is needed after a restart. ``/metrics`` stays open, as Kafka's JMX exporter's
HTTP port does: Prometheus scrapes without logging in.
"""

from __future__ import annotations

import hmac
from contextvars import ContextVar
from urllib.parse import quote, urlsplit

import trio
from starlette.responses import RedirectResponse
from starlette.routing import Route

from ...security.principal import KafkaPrincipal
from ...security.sasl.scram_credential import MECHANISM_TYPES, ScramCredential
from .access import Access
from .forms import fields, same_origin

SESSION_USER = "user"
#: the access of the request being served (each request is a trio task of its own, with its own context)
current_access: ContextVar[Access] = ContextVar("console_access", default=Access(None))


def login_required(broker) -> bool:
    """Whether the console asks for a login: the broker authorizes, or authenticates clients."""
    return broker.authorizer is not None or bool(broker.sasl_listeners)


def _plain_password_matches(broker, user: str, password: str) -> bool:
    for settings in broker.sasl_listeners.values():
        expected = settings.plain_passwords.get(user)
        if expected is not None and hmac.compare_digest(password.encode(), expected.encode()):
            return True
    return False


def _scram_password_matches(broker, user: str, password: str) -> bool:
    """Blocking (PBKDF2 of thousands of iterations): run in a worker thread."""
    for mechanism in MECHANISM_TYPES:
        stored = broker.scram_credentials.get(user, mechanism)
        if stored is None:
            continue
        tried = ScramCredential.from_password(mechanism, password, stored.salt, stored.iterations)
        if hmac.compare_digest(tried.stored_key, stored.stored_key):
            return True
    return False


async def password_matches(broker, user: str, password: str) -> bool:
    if not user or not password:
        return False
    if _plain_password_matches(broker, user, password):
        return True
    return await trio.to_thread.run_sync(_scram_password_matches, broker, user, password)


class Login:
    def __init__(self, broker, render, common):
        self.broker = broker
        self.required = login_required(broker)
        self.render = render
        self.common = common
        self.routes = [Route("/login", self.form), Route("/login", self.submit, methods=["POST"]),
                       Route("/logout", self.logout, methods=["POST"])]

    def access(self, request) -> Access | None:
        """The visitor's access, None if it must log in first."""
        if not self.required:
            return Access(None)
        user = request.session.get(SESSION_USER)
        if not user:
            return None
        host = request.client.host if request.client else ""
        return Access(self.broker.authorizer, KafkaPrincipal.user(user), host)

    def guard(self, endpoint):
        """``endpoint`` run only for a visitor who logged in (else: to the login form, and back)."""
        async def guarded(request):
            access = self.access(request)
            if access is None:
                wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(wanted, safe='')}", status_code=303)
            token = current_access.set(access)  # reset after: a kept-alive connection's next request is another's
            try:
                return await endpoint(request)
            finally:
                current_access.reset(token)
        return guarded

    async def form(self, request):
        return self._page(request.query_params.get("next", "/"), "", 200)

    async def submit(self, request):
        form = await fields(request)
        wanted = _local(form.get("next", "/"))
        if not same_origin(request):
            return self._page(wanted, "Refused: the form was posted from another site's page.", 403)
        user = form.get("username", "").strip()
        if not self.required:
            return RedirectResponse(wanted, status_code=303)
        if not await password_matches(self.broker, user, form.get("password", "")):
            return self._page(wanted, "Invalid username or password.", 401, user)
        request.session.clear()
        request.session[SESSION_USER] = user
        return RedirectResponse(wanted, status_code=303)

    async def logout(self, request):
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    def _page(self, wanted: str, error: str, status: int, user: str = ""):
        return self.render.page("login.html", status, nav="", **self.common(), next=_local(wanted),
                                error=error, username=user)


def _local(url: str) -> str:
    """Where to go after logging in: a path on this console, never another site."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//") or "\\" in url:
        return "/"
    return url

"""Account pages: sign up, sign in/out, password change, personal API tokens, and confirming
the address (double opt-in: the confirmation page is a GET that changes nothing plus a
CSRF-protected POST, like unsubscribing, so link scanners cannot confirm an address)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.community import RateLimited, User, UserError
from papersift.community.accounts import SESSION_LIFETIME
from papersift.deliver.confirm import Confirmations
from papersift.urls import ACCOUNT_CONFIRM, ACCOUNT_CONFIRM_RESEND
from papersift.web.deps import (
    SESSION_COOKIE,
    SignedIn,
    Web,
    WebDep,
    client_address,
    current_user,
    render,
)

ONBOARDING = "/account/onboarding"
router = APIRouter(prefix="/account", dependencies=[Depends(current_user)], include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site paths may be redirect targets (no open redirects via ?next=)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _signed_in(web: Web, request: Request, user: User, target: str | None) -> Response:
    token = web.community.accounts.start_session(user)
    response = RedirectResponse(safe_next(target), 303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request, web: WebDep, next: str | None = None) -> HTMLResponse:
    return render(web, request, "account/signup.html", next=safe_next(next), email="", error=None)


@router.post("/signup")
def signup(
    request: Request,
    web: WebDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    password2: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "",
) -> Response:
    """Create the account, then send the browser to sign in: the same 303 (no cookie) whether the
    address was new or already had an account, so the answer reveals neither (finding 11)."""
    try:
        if password != password2:
            raise UserError("password_mismatch", "the two passwords differ")
        web.community.accounts.sign_up(email, password, client_address(request))
    except RateLimited as exc:
        response = render(web, request, "account/signup.html", 429, next=safe_next(next), email=email, error=str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except UserError as exc:
        return render(web, request, "account/signup.html", 400, next=safe_next(next), email=email, error=str(exc))
    # a new account with nowhere particular to go starts, once signed in, by telling papersift what it reads
    # (the same target for an address that already had an account: the answer must not differ)
    target = safe_next(next)
    query = {"next": target if target != "/" else ONBOARDING, "signed_up": "1"}
    return RedirectResponse("/account/signin?" + urlencode(query), 303)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, web: WebDep, next: str | None = None, signed_up: bool = False) -> HTMLResponse:
    return render(web, request, "account/signin.html", next=safe_next(next), email="", error=None, signed_up=signed_up)


@router.post("/signin")
def signin(
    request: Request,
    web: WebDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        user = web.community.accounts.authenticate(email, password, client_address(request))
    except RateLimited as exc:
        response = render(
            web, request, "account/signin.html", 429, next=safe_next(next), email=email, error=str(exc), signed_up=False
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        return render(
            web,
            request,
            "account/signin.html",
            400,
            next=safe_next(next),
            email=email,
            error="wrong email or password",
            signed_up=False,
        )
    return _signed_in(web, request, user, next)


@router.post("/signout")
def signout(request: Request, web: WebDep) -> Response:
    if token := request.cookies.get(SESSION_COOKIE):
        web.community.accounts.end_session(token)
    response = RedirectResponse("/", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _account_page(web: Web, request: Request, user: User, status: int = 200, **values: object) -> HTMLResponse:
    values = {"message": None, "error": None, "new_token": None, **values}
    return render(
        web,
        request,
        "account/settings.html",
        status,
        tokens=web.community.accounts.list_tokens(user),
        address=Confirmations(web.community.accounts.engine).state(user),
        **values,
    )


@router.get("", response_class=HTMLResponse)
def settings(request: Request, web: WebDep, user: SignedIn) -> HTMLResponse:
    return _account_page(web, request, user)


@router.post("/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    web: WebDep,
    user: SignedIn,
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
    new2: Annotated[str, Form(max_length=1024)],
) -> HTMLResponse:
    try:
        if new != new2:
            raise UserError("password_mismatch", "the two new passwords differ")
        web.community.accounts.change_password(user, current, new, keep_session=request.cookies.get(SESSION_COOKIE))
    except RateLimited as exc:
        response = _account_page(web, request, user, 429, error=str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except UserError as exc:
        return _account_page(web, request, user, 400, error=str(exc))
    return _account_page(
        web, request, user, message="Password changed; your other sessions were signed out and your API tokens revoked."
    )


@router.post("/tokens", response_class=HTMLResponse)
def create_token(
    request: Request, web: WebDep, user: SignedIn, name: Annotated[str, Form(max_length=100)] = ""
) -> HTMLResponse:
    _, secret = web.community.accounts.create_token(user, name)
    return _account_page(web, request, user, new_token=secret)


@router.post("/tokens/{token_id}/delete")
def delete_token(web: WebDep, user: SignedIn, token_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    web.community.accounts.delete_token(user, token_id)
    return RedirectResponse("/account", 303)


@router.get(ACCOUNT_CONFIRM.removeprefix("/account"), response_class=HTMLResponse)
def confirm_page(request: Request, web: WebDep, token: Annotated[str, Query(max_length=500)] = "") -> HTMLResponse:
    return render(web, request, "account/confirm.html", token=token, done=None, invalid=not token)


@router.post(ACCOUNT_CONFIRM.removeprefix("/account"), response_class=HTMLResponse)
def confirm(request: Request, web: WebDep, token: Annotated[str, Form(max_length=500)]) -> HTMLResponse:
    user = Confirmations(web.community.accounts.engine).confirm(web.community.secret, token)
    status = 200 if user else 400
    return render(web, request, "account/confirm.html", status, token=token, done=user, invalid=user is None)


@router.post(ACCOUNT_CONFIRM_RESEND.removeprefix("/account"), response_class=HTMLResponse)
def resend_confirmation(request: Request, web: WebDep, user: SignedIn) -> HTMLResponse:
    confirmations = Confirmations(web.community.accounts.engine)
    state = confirmations.state(user)
    if state.confirmed:
        return _account_page(web, request, user, message="Your address is already confirmed.")
    if not state.can_resend:
        return _account_page(
            web, request, user, 429, error="Enough confirmation links went to this address; use one of them."
        )
    confirmations.request_resend(user)
    return _account_page(web, request, user, message="A new confirmation link goes out with the next digest run.")

#!/usr/bin/env python3
"""Drives the local identity server with FusionAuth's official Python client.

The identity server claims to speak FusionAuth's HTTP contract; this script checks that claim
with the client FusionAuth publishes (`pip install fusionauth-client`), so that what the client
sends and how it parses the answers match what the server does.

Environment:
    IDENTITY_URL          base URL of the identity server, e.g. http://127.0.0.1:9011
    FUSIONAUTH_API_KEY    an API key of that server
    STORE_APPLICATION_ID  the id of an application that requires the API key for login and
                          generates refresh tokens, with alice@example.com registered

A plain script: one line per check, then "N passed, 0 failed"; exits non-zero on the first
failure. Run by the Rust test tests/tests/python_client.rs.
"""

import os
import sys
import traceback

from fusionauth.fusionauth_client import FusionAuthClient

LOGIN_ID = "alice@example.com"
PASSWORD = "password"


def env(name):
    value = os.environ.get(name, "").strip()
    if not value:
        sys.exit(f"environment variable {name} is not set")
    return value


BASE_URL = env("IDENTITY_URL")
API_KEY = env("FUSIONAUTH_API_KEY")
APPLICATION_ID = env("STORE_APPLICATION_ID")


def describe(response):
    """Status and body of a ClientResponse, for failure messages."""
    body = response.response.text if response.response is not None else None
    return f"status {response.status}, body {body!r}"


def login_request(login_id=LOGIN_ID, password=PASSWORD):
    return {"loginId": login_id, "password": password, "applicationId": APPLICATION_ID}


def check_login(client, state):
    response = client.login(login_request())
    assert response.status == 200, f"login: expected 200, got {describe(response)}"
    assert response.was_successful(), "login: was_successful() is False"
    body = response.success_response
    assert isinstance(body, dict), f"login: success_response is not a JSON object: {body!r}"
    for key in ("token", "refreshToken", "user"):
        assert body.get(key), f"login: response has no {key!r}: {body!r}"
    state["user_id"] = body["user"]["id"]
    state["token"] = body["token"]
    state["refresh_token"] = body["refreshToken"]
    return "login -> 200 with token, refreshToken and user"


def check_validate(client, state, token=None, label="login token"):
    response = client.validate_jwt(token or state["token"])
    assert response.status == 200, f"validate_jwt({label}): expected 200, got {describe(response)}"
    claims = (response.success_response or {}).get("jwt")
    assert isinstance(claims, dict), f"validate_jwt({label}): no 'jwt' claims object: {describe(response)}"
    assert claims.get("sub") == state["user_id"], (
        f"validate_jwt({label}): sub {claims.get('sub')!r} != user id {state['user_id']!r}"
    )
    assert claims.get("applicationId") == APPLICATION_ID, (
        f"validate_jwt({label}): applicationId {claims.get('applicationId')!r} != {APPLICATION_ID!r}"
    )
    return f"validate_jwt({label}) -> 200, sub is the user, applicationId is the app"


def check_wrong_password(client, _state):
    response = client.login(login_request(password="not-the-password"))
    assert response.status == 404, f"wrong password: expected 404, got {describe(response)}"
    assert response.error_response is None, (
        f"wrong password: error_response should be None, got {response.error_response!r}"
    )
    assert not response.was_successful(), "wrong password: was_successful() is True"
    return "login with a wrong password -> 404, error_response is None"


def check_blank_login_id(client, _state):
    response = client.login(login_request(login_id=""))
    assert response.status == 400, f"blank loginId: expected 400, got {describe(response)}"
    errors = response.error_response
    assert isinstance(errors, dict), (
        f"blank loginId: error_response should be a parsed Errors object, got {errors!r}"
    )
    field_errors = errors.get("fieldErrors")
    assert isinstance(field_errors, dict), f"blank loginId: no fieldErrors object: {errors!r}"
    assert "loginId" in field_errors, f"blank loginId: fieldErrors has no 'loginId': {errors!r}"
    codes = [e.get("code") for e in field_errors["loginId"]]
    assert "[blank]loginId" in codes, f"blank loginId: codes {codes!r} lack '[blank]loginId'"
    return "login with a blank loginId -> 400, fieldErrors.loginId has [blank]loginId"


def check_no_api_key(_client, _state):
    for api_key in (None, ""):
        anonymous = FusionAuthClient(api_key, BASE_URL)
        response = anonymous.login(login_request())
        assert response.status == 401, (
            f"login without an API key (api_key={api_key!r}): expected 401, got {describe(response)}"
        )
    return "login with applicationId but no API key (None, '') -> 401"


def check_refresh(client, state):
    response = client.exchange_refresh_token_for_jwt({"refreshToken": state["refresh_token"]})
    assert response.status == 200, f"refresh before logout: expected 200, got {describe(response)}"
    token = (response.success_response or {}).get("token")
    assert token, f"refresh before logout: no token: {describe(response)}"
    check_validate(client, state, token=token, label="refreshed token")
    return "exchange_refresh_token_for_jwt before logout -> 200, the new token validates"


def check_logout(client, state):
    response = client.logout(True, state["refresh_token"])
    assert response.status == 200, f"logout(True, refresh_token): expected 200, got {describe(response)}"
    return "logout(True, refresh_token) -> 200"


def check_refresh_after_logout(client, state):
    response = client.exchange_refresh_token_for_jwt({"refreshToken": state["refresh_token"]})
    assert response.status != 200, "refresh after logout: the revoked token was accepted (200)"
    assert response.status == 400, f"refresh after logout: expected 400, got {describe(response)}"
    assert isinstance(response.error_response, dict), (
        f"refresh after logout: error_response should be a parsed Errors object, got {describe(response)}"
    )
    return "exchange_refresh_token_for_jwt after logout -> 400 (refused)"


def check_retrieve_user(client, state):
    """What the apps' periodic session revalidation reads."""
    response = client.retrieve_user(state["user_id"])
    assert response.status == 200, f"retrieve_user: expected 200, got {describe(response)}"
    user = response.success_response["user"]
    assert user.get("active") is True, f"retrieve_user: not active: {user!r}"
    assert isinstance(user.get("passwordLastUpdateInstant"), int), (
        f"retrieve_user: no passwordLastUpdateInstant: {user!r}"
    )
    applications = [r.get("applicationId") for r in user.get("registrations", [])]
    assert APPLICATION_ID in applications, f"retrieve_user: not registered: {applications!r}"
    return "retrieve_user -> 200, active, registered, passwordLastUpdateInstant"


def check_delete_registration(client, state):
    response = client.delete_registration(state["user_id"], APPLICATION_ID)
    assert response.status == 200, f"delete_registration: expected 200, got {describe(response)}"
    user = client.retrieve_user(state["user_id"]).success_response["user"]
    applications = [r.get("applicationId") for r in user.get("registrations", [])]
    assert APPLICATION_ID not in applications, f"still registered: {applications!r}"
    login = client.login(login_request())
    assert login.status == 202, f"login after deregistration: expected 202, got {describe(login)}"
    again = client.delete_registration(state["user_id"], APPLICATION_ID)
    assert again.status == 404, f"deleting it again: expected 404, got {describe(again)}"
    return "delete_registration -> 200; then login -> 202, again -> 404"


CHECKS = [
    check_login,
    check_validate,
    check_wrong_password,
    check_blank_login_id,
    check_no_api_key,
    check_refresh,
    check_logout,
    check_refresh_after_logout,
    check_retrieve_user,
    check_delete_registration,
]


def main():
    client = FusionAuthClient(API_KEY, BASE_URL)
    state = {}
    passed = 0
    for check in CHECKS:
        try:
            line = check(client, state)
        except Exception as error:  # noqa: BLE001 - report every kind of failure the same way
            print(f"FAIL {check.__name__}: {error}")
            if not isinstance(error, AssertionError):
                traceback.print_exc()
            print(f"{passed} passed, 1 failed")
            return 1
        passed += 1
        print(f"ok   {line}")
    print(f"{passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""DescribeUserScramCredentials: which SCRAM mechanisms each user has, with their iteration
counts (never the credentials), as Kafka 4's ScramImage answers (``kafka-configs --describe
--entity-type users``).

It needs DESCRIBE on the cluster: otherwise CLUSTER_AUTHORIZATION_FAILED for the whole request,
without a message, and once more for each user named, with an empty user name, as Kafka's
``getErrorResponse`` answers (librdkafka 2.16 crashes on a refusal that carries a message and no
per-user results).
No users named: every user with a credential. A user named twice: DUPLICATE_RESOURCE; a user
without credentials: RESOURCE_NOT_FOUND; both with Kafka's messages.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation
from ..security.sasl.scram_credential import MECHANISM_TYPES

API_KEY = ApiKey.DESCRIBE_USER_SCRAM_CREDENTIALS


async def handle(ctx, request) -> dict:
    if not ctx.authorize_cluster(AclOperation.DESCRIBE):
        refused = ErrorCode.CLUSTER_AUTHORIZATION_FAILED
        return {"throttle_time_ms": 0, "error_code": refused, "error_message": None,
                "results": [_result("", refused, None) for _ in request.users or ()]}
    users = ctx.broker.scram_credentials.users()
    named = [user.name for user in request.users] if request.users else []
    results = []
    for user in (dict.fromkeys(named) if named else sorted(users)):
        if named.count(user) > 1:
            results.append(_result(user, ErrorCode.DUPLICATE_RESOURCE,
                                   f"Cannot describe SCRAM credentials for the same user twice in a single request: {user}"))
        elif user not in users:
            results.append(_result(user, ErrorCode.RESOURCE_NOT_FOUND,
                                   f"Attempt to describe a user credential that does not exist: {user}"))
        else:
            results.append({**_result(user, ErrorCode.NONE, None), "credential_infos": [
                {"mechanism": MECHANISM_TYPES[mechanism], "iterations": credential.iterations}
                for mechanism, credential in sorted(users[user].items(), key=lambda item: MECHANISM_TYPES[item[0]])]})
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "results": results}


def _result(user: str, error: ErrorCode, message: str | None) -> dict:
    return {"user": user, "error_code": error, "error_message": message, "credential_infos": []}

"""AlterUserScramCredentials: add, replace or delete users' SCRAM credentials
(``kafka-configs --alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=...]'
--entity-type users --entity-name alice``).

The client salts and hashes the password (PBKDF2) and sends the salt and the salted password;
the broker derives the stored and server keys and keeps only those (``scram_credential``). The
checks and messages are Kafka 4's (ScramControlManager): an empty user name or an iteration count
outside 4096..16384 is UNACCEPTABLE_CREDENTIAL, an unknown mechanism UNSUPPORTED_SASL_MECHANISM,
deleting a credential the user does not have RESOURCE_NOT_FOUND, and a user altered twice in one
request (even for two mechanisms) DUPLICATE_RESOURCE. It needs ALTER on the cluster: without it
every user named is answered CLUSTER_AUTHORIZATION_FAILED. Each user's changes are kept (file, or
ZooKeeper) before the answer.
"""

from __future__ import annotations

import logging

from odradek.storage.errors import StorageError
from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation
from ..security.sasl.scram_credential import MAX_ITERATIONS, MECHANISM_NAMES, MIN_ITERATIONS, ScramCredential
from .acl_answers import NOT_AUTHORIZED

API_KEY = ApiKey.ALTER_USER_SCRAM_CREDENTIALS
DUPLICATE = "A user credential cannot be altered twice in the same request"

log = logging.getLogger("odradek.server")


async def handle(ctx, request) -> dict:
    if not ctx.authorize_cluster(AclOperation.ALTER):
        users = dict.fromkeys([*(d.name for d in request.deletions), *(u.name for u in request.upsertions)])
        return {"throttle_time_ms": 0, "results": [
            {"user": user, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "error_message": NOT_AUTHORIZED}
            for user in users]}
    credentials = ctx.broker.scram_credentials
    errors: dict[str, tuple[ErrorCode, str]] = {}
    deletions: dict[str, str] = {}  # user -> mechanism name
    upsertions: dict[str, object] = {}
    for deletion in request.deletions:
        user = deletion.name
        if user in errors:
            continue
        if deletions.pop(user, None) is not None:
            errors[user] = (ErrorCode.DUPLICATE_RESOURCE, DUPLICATE)
        elif (error := _check(user, deletion.mechanism)) is not None:
            errors[user] = error
        elif credentials.get(user, MECHANISM_NAMES[deletion.mechanism]) is None:
            errors[user] = (ErrorCode.RESOURCE_NOT_FOUND, "Attempt to delete a user credential that does not exist")
        else:
            deletions[user] = MECHANISM_NAMES[deletion.mechanism]
    for upsertion in request.upsertions:
        user = upsertion.name
        if user in errors:
            continue
        if deletions.pop(user, None) is not None or upsertions.pop(user, None) is not None:
            errors[user] = (ErrorCode.DUPLICATE_RESOURCE, DUPLICATE)
        elif (error := _check(user, upsertion.mechanism)) is not None:
            errors[user] = error
        elif upsertion.iterations < MIN_ITERATIONS:
            errors[user] = (ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too few iterations")
        elif upsertion.iterations > MAX_ITERATIONS:
            errors[user] = (ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too many iterations")
        else:
            upsertions[user] = upsertion
    results = []
    async with credentials.lock:
        for user in [*deletions, *upsertions]:
            configs = await credentials.current(user)
            if user in deletions:
                configs.pop(deletions[user], None)
            else:
                upsertion = upsertions[user]
                mechanism = MECHANISM_NAMES[upsertion.mechanism]
                configs[mechanism] = ScramCredential.from_salted_password(
                    mechanism, bytes(upsertion.salt), bytes(upsertion.salted_password), upsertion.iterations).to_string()
            try:
                await credentials.replace(user, configs)
            except StorageError as exc:
                log.warning("Could not keep the SCRAM credentials of %s: %s", user, exc)
                errors[user] = (ErrorCode.KAFKA_STORAGE_ERROR, str(exc))
                continue
            log.info("User %s's SCRAM credentials changed: %s", user, ", ".join(sorted(configs)) or "none left")
            results.append({"user": user, "error_code": ErrorCode.NONE, "error_message": None})
    results += [{"user": user, "error_code": code, "error_message": message} for user, (code, message) in errors.items()]
    return {"throttle_time_ms": 0, "results": results}


def _check(user: str, mechanism: int) -> tuple[ErrorCode, str] | None:
    if not user:
        return ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty"
    if mechanism not in MECHANISM_NAMES:
        return ErrorCode.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism"
    return None

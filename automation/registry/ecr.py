"""Amazon ECR login: `GetAuthorizationToken` with botocore's standard credential chain.

In: the registry host and its region. Out: basic `Credentials` (user `AWS`) and their expiry
(epoch seconds). botocore finds the identity as every AWS SDK does: environment, shared
config/profile, web identity (IRSA), container and instance metadata; `AWS_ENDPOINT_URL_ECR`
(or `AWS_ENDPOINT_URL`) points it at another endpoint. Blocking: call it in a thread.
botocore is the optional extra `image-automation[aws]`; without it the error says so.
Error messages carry the AWS error code only, never a message that might echo a secret.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from automation.errors import RegistryPermanentError, RegistryTransientError
from automation.registry.credentials import Credentials, CredentialsError

try:
    import botocore.config
    import botocore.session
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
except ImportError:  # the optional extra is not installed
    botocore = None

_TOKEN_CAP = 64 << 10
_TIMEOUTS = {"connect_timeout": 10, "read_timeout": 30}


def authorization_token(host: str, region: str) -> tuple[Credentials, float]:
    """Log in to `host` (an ECR registry in `region`) with the ambient AWS identity."""
    if botocore is None:
        raise CredentialsError(
            "provider aws needs botocore: pip install 'image-automation[aws]'", registry=host
        )
    try:
        session = botocore.session.get_session()
        config = botocore.config.Config(retries={"max_attempts": 3}, **_TIMEOUTS)
        client = session.create_client("ecr", region_name=region, config=config)
        answer: dict[str, Any] = client.get_authorization_token()
    except NoCredentialsError as err:
        msg = (
            "provider aws: no AWS credentials found (environment, profile, web identity, metadata)"
        )
        raise CredentialsError(msg, registry=host) from err
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", "unknown"))[:100]
        msg = f"provider aws: ECR GetAuthorizationToken refused ({code})"
        raise RegistryPermanentError(msg, registry=host) from err
    except BotoCoreError as err:
        msg = f"provider aws: ECR GetAuthorizationToken failed ({err.__class__.__name__})"
        raise RegistryTransientError(msg, registry=host) from err
    return _decode(answer, host)


def _decode(answer: dict[str, Any], host: str) -> tuple[Credentials, float]:
    """`authorizationData[0]`: base64 of `AWS:<password>`, and `expiresAt`."""
    try:
        data = answer["authorizationData"][0]
        encoded = data["authorizationToken"]
        expires = data["expiresAt"]
        if not isinstance(encoded, str) or len(encoded) > _TOKEN_CAP:
            raise TypeError("authorizationToken")
        if not isinstance(expires, datetime):
            raise TypeError("expiresAt")
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (KeyError, IndexError, TypeError, binascii.Error, UnicodeDecodeError) as err:
        msg = "provider aws: unreadable ECR authorization token"
        raise RegistryTransientError(msg, registry=host) from err
    if not sep or not user or not password:
        msg = "provider aws: ECR authorization token is not user:password"
        raise RegistryTransientError(msg, registry=host)
    return Credentials(username=user, password=password), expires.timestamp()

"""Sign CloudTrail and CloudTrail Data requests as `execute-api`, the service name API Gateway's IAM auth verifies.

boto3:    import opentrail_signing; opentrail_signing.sign_as_execute_api(client)
AWS CLI:  a plugin; in ~/.aws/config (docs/cloudtrail-compat.md):
            [plugins]
            cli_legacy_plugin_path = <folder holding this file>
            opentrail = opentrail_signing
"""


def use_execute_api(request, **_):
    """A before-sign handler: botocore signs with the name in request.context['signing'] when one is set."""
    request.context.setdefault("signing", {})["signing_name"] = "execute-api"


def sign_as_execute_api(client):
    """Every request this boto3 client sends is signed as execute-api."""
    client.meta.events.register("before-sign", use_execute_api)
    return client


def awscli_initialize(cli):
    """AWS CLI plugin entry point: only the two CloudTrail services are re-signed, every other command is left alone."""
    for service in ("cloudtrail", "cloudtrail-data"):
        cli.register(f"before-sign.{service}", use_execute_api)

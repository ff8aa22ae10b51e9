"""Calls OpenTrail's CloudTrail-compatible endpoints with boto3, for the contract tests.

Reads one JSON document on stdin:
  {"endpoint": "...", "region": "...", "accessKeyId": "...", "secretAccessKey": "...",
   "calls": [{"service": "cloudtrail-data" | "cloudtrail", "operation": "put_audit_events" | "lookup_events",
              "params": {...}, "executeApi": true | false}]}
and writes one JSON document on stdout: a list with, per call, {"ok": true, "response": {...}} or
{"ok": false, "code": ..., "exception": <class name>, "status": ..., "message": ...}.

With "executeApi" the client signs as `execute-api`, as API Gateway's IAM authorization requires, through
clients/python/opentrail_signing.py: the module docs/cloudtrail-compat.md documents, imported as a user would.
"""

import json
import sys
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# The signing module ships with the clients, not the tests: import it from there, as users put it on their path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))
from opentrail_signing import sign_as_execute_api  # noqa: E402


def main():
    spec = json.load(sys.stdin)
    session = boto3.session.Session(
        aws_access_key_id=spec["accessKeyId"],
        aws_secret_access_key=spec["secretAccessKey"],
        region_name=spec["region"],
    )
    # No client-side validation and no retries: the server's answer is what is under test.
    config = Config(parameter_validation=False, retries={"max_attempts": 1})
    results = []
    for call in spec["calls"]:
        client = session.client(call["service"], endpoint_url=spec["endpoint"], config=config)
        if call.get("executeApi"):
            sign_as_execute_api(client)
        try:
            response = getattr(client, call["operation"])(**call["params"])
            response.pop("ResponseMetadata", None)
            results.append({"ok": True, "response": response})
        except ClientError as error:
            results.append(
                {
                    "ok": False,
                    "code": error.response["Error"]["Code"],
                    "exception": type(error).__name__,
                    "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
                    "message": error.response["Error"].get("Message", ""),
                }
            )
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    main()

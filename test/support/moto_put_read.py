"""Reads an object while moto's PutObject handler is writing it, under local/moto_server.py's patches.

Run with the .venv's Python and local/ as the first argument. The read starts once the new key is in the bucket
and before moto's handler sets its metadata; it prints the metadata the read saw. S3 answers the old object or
the new one whole, so a read of a new object must see its metadata.
"""

import json
import os
import sys
import threading

# In-process moto (mock_aws): no endpoint of a running server.
for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[name]
sys.path.insert(0, sys.argv[1])
import moto_server  # noqa: E402,F401  (applies local mode's patches)
import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.s3.models import S3Backend  # noqa: E402

BUCKET = "digests"
KEY = "digest.json.gz"
seen = {}

with mock_aws():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    moto_put = S3Backend.put_object
    readers = []

    def put_object(self, bucket_name, key_name, *args, **kwargs):
        key = moto_put(self, bucket_name, key_name, *args, **kwargs)
        reader = threading.Thread(
            target=lambda: seen.update(s3.get_object(Bucket=BUCKET, Key=KEY)["Metadata"])
        )
        readers.append(reader)
        reader.start()
        # Unpatched, the read finishes here, before the metadata is set; patched, it waits for the put.
        reader.join(1)
        return key

    S3Backend.put_object = put_object
    s3.put_object(
        Bucket=BUCKET,
        Key=KEY,
        Body=b"{}",
        Metadata={"signature": "0a1b", "signature-algorithm": "SHA256withRSA"},
    )
    S3Backend.put_object = moto_put
    for reader in readers:
        reader.join()

print(json.dumps(seen))

"""Writes two items at once to a table with a stream, under local/moto_server.py's patches.

Run with the .venv's Python and local/ as the first argument. The second write starts once the first has taken
its stream record's sequence number and before that record is in the shard; it prints the stream's sequence
numbers. DynamoDB gives every record of a shard its own, increasing sequence number.
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
import moto.dynamodb.models.table as table_module  # noqa: E402
from moto import mock_aws  # noqa: E402

TABLE = "race"

with mock_aws():
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    moto_record = table_module.StreamRecord
    writers = []

    def record_with_a_write_in_between(*args, **kwargs):
        # StreamShard.add builds the record from the sequence number it took, then appends it.
        if not writers:
            writer = threading.Thread(
                target=lambda: dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "second"}})
            )
            writers.append(writer)
            writer.start()
            # Unpatched, the second write takes the same number here; patched, it waits for this one.
            writer.join(1)
        return moto_record(*args, **kwargs)

    table_module.StreamRecord = record_with_a_write_in_between
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "first"}})
    for writer in writers:
        writer.join()
    table_module.StreamRecord = moto_record

    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    stream_arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]

print(json.dumps([record["dynamodb"]["SequenceNumber"] for record in records]))

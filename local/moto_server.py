"""moto's server (moto_server) with two costs of the pinned moto 5.2.5 taken out; local/emulator.ts starts it.

Profiled under `npm run bench -- load` (docs/load.md), moto spent most of its CPU in Table.query, which reads
Table.all_items(): every item of the table, sorted, for each Query, however few share its key. A Query by table
key needs only that key's items, and a Query on an index sorts its matches itself by a key that is unique per
item, so neither needs the whole table sorted: within a Query, all_items() answers the key's own items (table
key) or the items unsorted (index). Every other caller (Scan, exports) gets moto's own answer. Results, order and
pagination are moto's, computed from the same items.

GetRecords pages (every stream record with its images, read by each stream consumer) went through moto's generic
response serializer, the next cost: the records are already in the wire's shape, so they are written with
json.dumps, timestamps and binary values as moto's serializer writes them (unix seconds, base64).

S3's PutObject is atomic: a reader sees the old object or the new one with its metadata. moto's handler puts the
key in the bucket first and sets its metadata after, so a GetObject or HeadObject in between (the server runs a
thread per request) sees the new body with no metadata: a digest just written then reads as unsigned and
`aws cloudtrail validate-logs` reports "signature verification failed". Object writes and reads take one lock.

Werkzeug also logs one access line per request to stderr, which local mode reads line by line and drops; only
the failed ones (5xx) are written here.
"""

import base64
import json
import logging
import sys
import threading
from datetime import datetime

from moto.core.serialize import TimestampSerializer
from moto.dynamodb.models.table import Table
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.s3.responses import S3Response
from moto.server import main

_query = threading.local()
_moto_query = Table.query
_moto_all_items = Table.all_items


def _query_all_items(self):
    scope = getattr(_query, "scope", None)
    if scope is None or scope[0] is not self:
        return _moto_all_items(self)
    _, hash_key = scope
    if hash_key is None:
        return [item for group in self.items.values() for item in (group.values() if self.range_key_attr else [group])]
    group = self.items.get(hash_key)
    if group is None:
        return []
    return list(group.values()) if self.range_key_attr else [group]


def _scoped_query(self, hash_key, *args, **kwargs):
    # Table.query(hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
    # projection_expressions, index_name, ...): DynamoDBBackend.query passes index_name as the 8th argument.
    index_name = kwargs["index_name"] if "index_name" in kwargs else (args[6] if len(args) > 6 else None)
    previous = getattr(_query, "scope", None)
    _query.scope = (self, None if index_name else hash_key)
    try:
        return _moto_query(self, hash_key, *args, **kwargs)
    finally:
        _query.scope = previous


def _wire_value(value):
    if isinstance(value, datetime):
        return TimestampSerializer._timestamp_unixtimestamp(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _get_records(self):
    # As moto's get_records, with the page written directly.
    limit = self._get_param("Limit")
    page = self.backend.get_records(self._get_param("ShardIterator"), 1000 if limit is None else limit)
    self.response_headers["Content-Type"] = "application/x-amz-json-1.0"
    return json.dumps(page, default=_wire_value)


_objects = threading.RLock()


def _one_at_a_time(handler):
    def locked(*args, **kwargs):
        with _objects:
            return handler(*args, **kwargs)

    return locked


class _FailedRequestsOnly(logging.Filter):
    """Werkzeug's access line is logged with args (request line, status code, size)."""

    def filter(self, record):
        args = record.args if isinstance(record.args, tuple) else ()
        return len(args) < 2 or not str(args[1]).isdigit() or str(args[1]).startswith("5")


Table.query = _scoped_query
Table.all_items = _query_all_items
DynamoDBStreamsHandler.get_records = _get_records
for _handler in ("put_object", "copy_object", "get_object", "head_object"):
    setattr(S3Response, _handler, _one_at_a_time(getattr(S3Response, _handler)))
logging.getLogger("werkzeug").addFilter(_FailedRequestsOnly())

if __name__ == "__main__":
    main(sys.argv[1:])

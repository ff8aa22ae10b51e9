"""moto's server (moto_server) with costs and races of the pinned moto 5.2.5 taken out; local/emulator.ts starts it.

Profiled under `npm run bench -- load` (docs/load.md), moto spent most of its CPU in Table.query, which reads
Table.all_items(): every item of the table, sorted, for each Query, however few share its key. A Query by table
key needs only that key's items, and a Query on an index sorts its matches itself by a key that is unique per
item, so neither needs the whole table sorted: within a Query, all_items() answers the key's own items (table
key) or the items unsorted (index). Every other caller (Scan, exports) gets moto's own answer. Results, order and
pagination are moto's, computed from the same items.

GetRecords pages (every stream record with its images, read by each stream consumer) went through moto's generic
response serializer, the next cost: the records are already in the wire's shape, so they are written with
json.dumps, timestamps and binary values as moto's serializer writes them (unix seconds, base64).

Once those were gone, most of moto's CPU went to each request's own overhead rather than to DynamoDB's work (a put
of 100 events is a PutItem per producer id, so local mode makes about 1.6 requests per event): a thread started per
request, a dispatcher that lists moto's package folder under a lock shared by every request, a class's methods
listed with inspect per request, a regex pass over every response body for an XML request id, an access-log record
built and dropped per request. Each is answered here as moto answers it, without the repeated work.

S3's PutObject is atomic: a reader sees the old object or the new one with its metadata. moto's handler puts the
key in the bucket first and sets its metadata after, so a GetObject or HeadObject in between (the server serves
requests on several threads) sees the new body with no metadata: a digest just written then reads as unsigned and
`aws cloudtrail validate-logs` reports "signature verification failed". Object writes and reads take one lock.

A stream record's sequence number is the shard's length when moto builds it, so two writes at once could take
the same number (DynamoDB gives each record of a shard its own, increasing one), and a consumer would read the
second record twice: records are appended one at a time.

DynamoDB applies a conditional write atomically. moto checks the condition and then writes, and another request
thread can write the item in between, so two version-conditioned puts could both succeed and one update be lost
(test/integration/insight-counters.test.ts saw 74 of 80 counts). Item writes (PutItem, UpdateItem, DeleteItem,
each item of a BatchWriteItem, TransactWriteItems) are applied one at a time.
"""

import base64
import functools
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import moto.core.responses as moto_responses
from moto.core.serialize import TimestampSerializer
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler
from moto.s3.responses import S3Response
from moto.server import main
from werkzeug.serving import ThreadedWSGIServer

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


# Per request, moto's dispatcher lists its package folder (os.listdir and an isdir per service) and tries each
# service's URL patterns, holding one lock that every request thread waits on; the answer depends on the host name
# alone. Host names are built from a service and a region, so the cache is bounded.
_backend_for_host = functools.lru_cache(maxsize=512)(DomainDispatcherApplication.get_backend_for_host)

# Per request, moto lists a handler class's methods with inspect.getmembers to see whether it has the action; a
# class's methods do not change while the server runs.
_method_names = functools.lru_cache(maxsize=None)(moto_responses.method_names_from_class)

_moto_enrich_response = moto_responses.BaseResponse._enrich_response


def _enrich_response(headers, body):
    # moto's own, less its regex pass over every response body (a Query page is tens of KB) to put the request id
    # into an XML <RequestId> element: a body without one is left as it is by that pass anyway.
    if isinstance(body, str) and "<RequestId>" not in body:
        return _moto_enrich_response(headers, "")[0], body
    return _moto_enrich_response(headers, body)


def _one_at_a_time(lock, handler):
    def locked(*args, **kwargs):
        with lock:
            return handler(*args, **kwargs)

    return locked


_objects = threading.RLock()
_stream_appends = threading.Lock()
# Reentrant: a transaction's writes may go through the backend's own put_item and delete_item.
_item_writes = threading.RLock()

# Werkzeug logs an access line per request to stderr, which local mode reads line by line and drops: only the
# failed ones (5xx) are written.
_werkzeug_log_request = MotoRequestHandler.log_request


def _log_failed_request(self, code="-", size="-"):
    if str(code).startswith("5"):
        _werkzeug_log_request(self, code, size)


# Werkzeug's server starts a thread per connection, and answers every request with Connection: close, so every
# request paid for a new thread, and the accept loop waited for it to start. Pooled threads serve the connections
# instead; requests beyond the pool's size wait their turn in its queue. Requests are short (the longest, an SQS
# long poll, waits a second or two), so the pool has room for every client's requests at once.
_connections = ThreadPoolExecutor(max_workers=32, thread_name_prefix="moto-request")


def _process_request(self, request, client_address):
    _connections.submit(self.process_request_thread, request, client_address)


Table.query = _scoped_query
Table.all_items = _query_all_items
DynamoDBStreamsHandler.get_records = _get_records
DomainDispatcherApplication.get_backend_for_host = _backend_for_host
moto_responses.method_names_from_class = _method_names
moto_responses.BaseResponse._enrich_response = staticmethod(_enrich_response)
for _handler in ("put_object", "copy_object", "get_object", "head_object"):
    setattr(S3Response, _handler, _one_at_a_time(_objects, getattr(S3Response, _handler)))
StreamShard.add = _one_at_a_time(_stream_appends, StreamShard.add)
for _write in ("put_item", "update_item", "delete_item", "transact_write_items"):
    setattr(DynamoDBBackend, _write, _one_at_a_time(_item_writes, getattr(DynamoDBBackend, _write)))
MotoRequestHandler.log_request = _log_failed_request
ThreadedWSGIServer.process_request = _process_request

if __name__ == "__main__":
    main(sys.argv[1:])

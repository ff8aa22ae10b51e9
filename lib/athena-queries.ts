/**
 * The Athena SQL the stack saves as named queries (AWS::Athena::NamedQuery), written out literally so the README
 * can quote it. Each runs in the archive's Glue database. Names and columns come from lib/archive-table.ts; a test
 * keeps the two in step.
 *
 * Why the examples read `events_raw` rather than the `events` view: a filter on the view cannot reach below its
 * window function, so every query on the view reads the whole archive. The examples first narrow the raw table
 * to the partitions they need (year, month, ...: arrival time, UTC), then keep one row per eventID among those,
 * which is the same deduplication at a fraction of the bytes scanned.
 */

export interface AthenaQuery {
  /** Construct id of the saved query. */
  readonly id: string;
  /** Name shown in the Athena console's saved queries. */
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/** Creates (or replaces) the `events` view: one row per eventID, duplicates from retried batches dropped. */
export const CREATE_EVENTS_VIEW: AthenaQuery = {
  id: 'CreateEventsView',
  name: 'OpenTrail: create the events view',
  description: 'Run once after deploying: creates the view events, one row per eventID over events_raw.',
  sql: `CREATE OR REPLACE VIEW events AS
SELECT eventversion, eventtime, eventsource, eventname, awsregion, sourceipaddress, useragent,
       useridentity, requestparameters, responseelements, additionaleventdata, errorcode, errormessage,
       requestid, eventtype, readonly, managementevent, resources, recipientaccountid, sharedeventid,
       eventcategory, clienttype, tlsdetails, vpcendpointid, vpcendpointaccountid, apiversion,
       sessioncredentialfromconsole, serviceeventdetails, addendum, edgedevicedetails, sourceeventversion,
       eventid, insightdetails, ingestion, year, month, day, hour
FROM (
  SELECT *, row_number() OVER (PARTITION BY eventid) AS copy_number
  FROM events_raw
)
WHERE copy_number = 1`,
};

/** Who deleted a resource: every Delete* call naming its ARN, newest first. */
export const WHO_DELETED_RESOURCE: AthenaQuery = {
  id: 'WhoDeletedResource',
  name: 'OpenTrail: who deleted a resource',
  description: 'Delete* calls naming one resource ARN, newest first. Edit the ARN and the partitions.',
  sql: `WITH matching AS (
  SELECT *
  FROM events_raw
  WHERE year = '2026' AND month IN ('10', '11')
    AND eventname LIKE 'Delete%'
    AND any_match(resources, r -> r.arn = 'arn:example:orders:::order/o-1')
), deduped AS (
  SELECT *, row_number() OVER (PARTITION BY eventid) AS copy_number
  FROM matching
)
SELECT eventtime, eventname, errorcode, useridentity.arn AS principal_arn, useridentity.username,
       useridentity.accesskeyid, sourceipaddress, useragent, clienttype, eventid
FROM deduped
WHERE copy_number = 1
ORDER BY eventtime DESC
LIMIT 100`,
};

/** Which users get which errors, most frequent first. */
export const ERRORS_BY_USER: AthenaQuery = {
  id: 'ErrorsByUser',
  name: 'OpenTrail: errors by user',
  description: 'Failed calls counted per user and errorCode, most frequent first. Edit the partitions.',
  sql: `WITH matching AS (
  SELECT *
  FROM events_raw
  WHERE year = '2026' AND month = '11'
    AND errorcode IS NOT NULL
), deduped AS (
  SELECT *, row_number() OVER (PARTITION BY eventid) AS copy_number
  FROM matching
)
SELECT coalesce(useridentity.username, useridentity.principalid) AS user_name, errorcode,
       count(*) AS errors, min(eventtime) AS first_seen, max(eventtime) AS last_seen
FROM deduped
WHERE copy_number = 1
GROUP BY 1, 2
ORDER BY errors DESC
LIMIT 100`,
};

/** Traffic per client type (console, sdk, cli, service, other) and event source. */
export const EVENTS_BY_CLIENT_TYPE: AthenaQuery = {
  id: 'EventsByClientType',
  name: 'OpenTrail: events by client type',
  description: 'Events and errors per clientType and eventSource. Edit the partitions.',
  sql: `WITH matching AS (
  SELECT *
  FROM events_raw
  WHERE year = '2026' AND month = '11'
), deduped AS (
  SELECT *, row_number() OVER (PARTITION BY eventid) AS copy_number
  FROM matching
)
SELECT clienttype, eventsource, count(*) AS events, count(errorcode) AS errors
FROM deduped
WHERE copy_number = 1
GROUP BY 1, 2
ORDER BY events DESC`,
};

/** Every saved query the archive creates, the view first. */
export const ATHENA_QUERIES: readonly AthenaQuery[] = [
  CREATE_EVENTS_VIEW,
  WHO_DELETED_RESOURCE,
  ERRORS_BY_USER,
  EVENTS_BY_CLIENT_TYPE,
];

/**
 * The events table's physical layout: the one definition the CDK construct, local mode and the store share.
 * One table, no secondary index: every lookup reads the table's own partitions (pages of events and posting lists,
 * lambda/core/keys.ts). Why it looks like this is written down in docs/storage.md.
 */
export const TABLE_LAYOUT = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL deletes the item some time after it passes. */
  ttlAttribute: 'expiresAt',
  /**
   * The eventIDs an item holds, fixed-width, newest first, concatenated: a posting list's whole, a page's slot ids
   * (keys.ts pageIds).
   */
  postingAttribute: 'ids',
} as const;

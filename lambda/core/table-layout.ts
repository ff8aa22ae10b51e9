/**
 * The events table's physical layout: the one definition the CDK construct, local mode and the store share.
 * Why it looks like this is written down in docs/storage.md.
 */
export interface IndexLayout {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export const TABLE_LAYOUT = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL deletes the item some time after it passes. */
  ttlAttribute: 'expiresAt',
  /** Both indexes project keys only: an index entry stays far below 1 KB, so it costs 1 WRU. */
  indexes: [
    { name: 'byEventName', partitionKey: 'namePk', sortKey: 'sk' },
    { name: 'byUser', partitionKey: 'userPk', sortKey: 'sk' },
  ] as const satisfies readonly IndexLayout[],
} as const;

export type IndexName = (typeof TABLE_LAYOUT.indexes)[number]['name'];

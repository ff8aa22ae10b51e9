/** Username as CloudTrail's lookup means it: userName, or the principal id when there is no user name. */
export function lookupUsername(identity: {
  readonly userName?: string;
  readonly principalId?: string;
}): string {
  return identity.userName ?? identity.principalId ?? '';
}

/**
 * Drops the keys whose value is undefined, so an override such as `{ deletionProtection: undefined }` keeps the
 * secure default instead of erasing it when the layers are spread together.
 */
export function definedProps<T extends object>(props: T | undefined): Partial<T> {
  if (props === undefined) return {};
  // Object.fromEntries loses the key types; the entries are a subset of T's own.
  return Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined)) as Partial<T>;
}

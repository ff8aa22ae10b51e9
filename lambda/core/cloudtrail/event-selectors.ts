import {
  type AdvancedEventSelector,
  type FieldSelector,
  SELECTOR_OPERATORS,
  type SelectorOperator,
  type TrailSelectors,
} from '../selectors.js';

/**
 * The trail's selectors (docs/selectors.md) as CloudTrail's GetEventSelectors gives them. Basic selectors are
 * CloudTrail's `EventSelectors` while they can say it: management reads and writes through ReadWriteType. Basic
 * selectors that keep data events, and advanced selectors, are `AdvancedEventSelectors`: a basic EventSelector can
 * only name data events by an AWS resource type, and a producer's data events have no such type. The trail's
 * `regions` list has no place in either shape (CloudTrail trails record regions, not select them).
 */

type ReadWriteType = 'ReadOnly' | 'WriteOnly' | 'All';

export interface CloudTrailEventSelector {
  readonly ReadWriteType: ReadWriteType;
  readonly IncludeManagementEvents: boolean;
  readonly DataResources: readonly never[];
  readonly ExcludeManagementEventSources: readonly never[];
}

type CloudTrailOperator = Capitalize<SelectorOperator>;

export type CloudTrailFieldSelector = { readonly Field: string } & {
  readonly [operator in CloudTrailOperator]?: readonly string[];
};

export interface CloudTrailAdvancedEventSelector {
  readonly Name?: string;
  readonly FieldSelectors: readonly CloudTrailFieldSelector[];
}

export type CloudTrailEventSelectors =
  | { readonly EventSelectors: readonly CloudTrailEventSelector[] }
  | { readonly AdvancedEventSelectors: readonly CloudTrailAdvancedEventSelector[] };

const capitalized = (operator: SelectorOperator): CloudTrailOperator =>
  `${operator.charAt(0).toUpperCase()}${operator.slice(1)}` as CloudTrailOperator;

/** OpenTrail's field names are CloudTrail's; its operators are CloudTrail's in camel case. */
function cloudTrailFieldSelector(selector: FieldSelector): CloudTrailFieldSelector {
  const operators: Partial<Record<CloudTrailOperator, readonly string[]>> = {};
  for (const operator of SELECTOR_OPERATORS) {
    const values = selector[operator];
    if (values !== undefined) operators[capitalized(operator)] = values;
  }
  return { Field: selector.field, ...operators };
}

function cloudTrailAdvancedSelector(selector: AdvancedEventSelector): CloudTrailAdvancedEventSelector {
  return {
    ...(selector.name === undefined ? {} : { Name: selector.name }),
    FieldSelectors: selector.fieldSelectors.map(cloudTrailFieldSelector),
  };
}

/** Basic selectors as the advanced ones they mean, as CloudTrail's console converts them. */
function basicAsAdvanced(read: boolean, write: boolean): AdvancedEventSelector[] {
  const management: AdvancedEventSelector[] =
    read || write
      ? [
          {
            name: 'Management events',
            fieldSelectors: [
              { field: 'eventCategory', equals: ['Management'] },
              ...(read && write ? [] : [{ field: 'readOnly' as const, equals: [String(read)] }]),
            ],
          },
        ]
      : [];
  return [
    ...management,
    { name: 'Data events', fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }] },
  ];
}

export function cloudTrailEventSelectors(selectors: TrailSelectors = {}): CloudTrailEventSelectors {
  if (selectors.advanced !== undefined) {
    return { AdvancedEventSelectors: selectors.advanced.map(cloudTrailAdvancedSelector) };
  }
  const read = selectors.management?.read ?? true;
  const write = selectors.management?.write ?? true;
  if (selectors.data === true) {
    return { AdvancedEventSelectors: basicAsAdvanced(read, write).map(cloudTrailAdvancedSelector) };
  }
  return {
    EventSelectors: [
      {
        ReadWriteType: read === write ? 'All' : read ? 'ReadOnly' : 'WriteOnly',
        IncludeManagementEvents: read || write,
        DataResources: [],
        ExcludeManagementEventSources: [],
      },
    ],
  };
}

import { describe, expect, it } from 'vitest';
import { cloudTrailEventSelectors } from '../../../lambda/core/cloudtrail/event-selectors.js';

describe('cloudTrailEventSelectors', () => {
  it("answers the default trail as CloudTrail's default EventSelector", () => {
    // Act
    const selectors = cloudTrailEventSelectors(undefined);

    // Assess
    expect(selectors).toEqual({
      EventSelectors: [
        {
          ReadWriteType: 'All',
          IncludeManagementEvents: true,
          DataResources: [],
          ExcludeManagementEventSources: [],
        },
      ],
    });
  });

  it.each([
    [{ read: false }, 'WriteOnly', true],
    [{ write: false }, 'ReadOnly', true],
    [{ read: false, write: false }, 'All', false],
  ] as const)('maps management %j to ReadWriteType %s', (management, readWriteType, included) => {
    // Act
    const selectors = cloudTrailEventSelectors({ management, regions: ['eu-west-1'] });

    // Assess
    expect(selectors).toEqual({
      EventSelectors: [
        {
          ReadWriteType: readWriteType,
          IncludeManagementEvents: included,
          DataResources: [],
          ExcludeManagementEventSources: [],
        },
      ],
    });
  });

  it('answers basic selectors that keep data events as the advanced selectors they mean', () => {
    // Act
    const selectors = cloudTrailEventSelectors({ management: { read: false }, data: true });

    // Assess
    expect(selectors).toEqual({
      AdvancedEventSelectors: [
        {
          Name: 'Management events',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Management'] },
            { Field: 'readOnly', Equals: ['false'] },
          ],
        },
        { Name: 'Data events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] },
      ],
    });
  });

  it("names advanced selectors' fields and operators as CloudTrail does", () => {
    // Act
    const selectors = cloudTrailEventSelectors({
      advanced: [
        {
          name: 'Writes to orders',
          fieldSelectors: [
            { field: 'eventCategory', equals: ['Management'] },
            { field: 'eventName', startsWith: ['Create'], notEndsWith: ['Test'] },
            { field: 'userIdentity.arn', notStartsWith: ['arn:aws:iam::111122223333:role/load'] },
          ],
        },
        { fieldSelectors: [{ field: 'resources.ARN', endsWith: ['/x'], notEquals: ['a/x'] }] },
      ],
    });

    // Assess
    expect(selectors).toEqual({
      AdvancedEventSelectors: [
        {
          Name: 'Writes to orders',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Management'] },
            { Field: 'eventName', StartsWith: ['Create'], NotEndsWith: ['Test'] },
            { Field: 'userIdentity.arn', NotStartsWith: ['arn:aws:iam::111122223333:role/load'] },
          ],
        },
        { FieldSelectors: [{ Field: 'resources.ARN', EndsWith: ['/x'], NotEquals: ['a/x'] }] },
      ],
    });
  });
});

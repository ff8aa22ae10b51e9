import type { ProducerEvent } from '../../lambda/core/event-model.js';
import { ACCOUNT_ID, typicalBatch } from '../../test/fixtures/events.js';

/**
 * Hostile cardinality: `count` typical events (about 1 KB each, spread over the seconds before `nowMs`) in which
 * every lookup key and every insight attribution has a value no other event shares: source, name, user, access
 * key, user agent and resource. What a layout or a counter pays per distinct value shows here at its worst.
 */
export function adversarialEvents(count: number, nowMs: number): ProducerEvent[] {
  return typicalBatch(count, nowMs).map((event, i) => {
    const tag = i.toString(36).padStart(5, '0');
    const orderId = `ord-${tag}`;
    return {
      ...event,
      eventSource: `svc-${tag}.api.example.com`,
      eventName: `Operation${tag.toUpperCase()}`,
      userAgent: `example-sdk-js/3.4.1 os/linux#6.5 lang/js md/nodejs#20.11.1 app/${tag}`,
      userIdentity: {
        type: 'IAMUser',
        principalId: `AIDA${tag.toUpperCase().padStart(17, 'Q')}`,
        arn: `arn:aws:iam::${ACCOUNT_ID}:user/user-${tag}`,
        accountId: ACCOUNT_ID,
        accessKeyId: `AKIA${tag.toUpperCase().padStart(16, 'X')}`,
        userName: `user-${tag}`,
      },
      resources: [
        {
          ARN: `arn:example:orders:eu-west-1:${ACCOUNT_ID}:order/${orderId}`,
          accountId: ACCOUNT_ID,
          type: `Example::Svc${tag}::Order`,
        },
      ],
    };
  });
}

import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryMessage, DeliveryQueue } from '../core/integrity/digester.js';

/** SQS DeleteMessageBatch takes at most 10 entries. */
const DELETE_BATCH = 10;

/** The queue of the archive bucket's ObjectCreated notifications, drained in bounded receives. */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async receive(max: number): Promise<DeliveryMessage[]> {
    const { Messages } = await this.client.send(
      new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: max, WaitTimeSeconds: 0 }),
    );
    return (Messages ?? []).flatMap(({ ReceiptHandle, Body }) =>
      ReceiptHandle === undefined || Body === undefined ? [] : [{ receiptHandle: ReceiptHandle, body: Body }],
    );
  }

  async acknowledge(receiptHandles: readonly string[]): Promise<void> {
    for (let start = 0; start < receiptHandles.length; start += DELETE_BATCH) {
      const batch = receiptHandles.slice(start, start + DELETE_BATCH);
      const { Failed } = await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((receiptHandle, index) => ({ Id: String(index), ReceiptHandle: receiptHandle })),
        }),
      );
      // A message not deleted comes back and is recognised as recorded already: safe, but worth a failure here.
      if (Failed !== undefined && Failed.length > 0) {
        throw new Error(
          `SQS kept ${Failed.length} handled messages: ${Failed.map((f) => f.Code).join(', ')}`,
        );
      }
    }
  }
}

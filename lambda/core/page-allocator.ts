import { newPageToken, PAGE_SLOTS, pageEventId, sourceHash } from './event-id.js';
import { PAGE_SPAN_MS } from './keys.js';
import { LIMITS } from './limits.js';

/** An eventID given out, and how to count its record against its page. */
export interface Allocation {
  readonly eventID: string;
  /** The event is stored with a record of this many bytes. */
  hold(recordBytes: number): void;
}

interface OpenPage {
  readonly token: string;
  readonly shard: number;
  slots: number;
  bytes: number;
}

/** A slot of an open page; a class, so allocating builds no closure per event. */
class PageSlot implements Allocation {
  constructor(
    readonly eventID: string,
    private readonly page: OpenPage,
  ) {}

  hold(recordBytes: number): void {
    this.page.bytes += recordBytes;
  }
}

/**
 * Gives the events of one request their eventIDs so that those sharing a source and a page window of eventTime
 * (PAGE_SPAN_MS) share pages (keys.ts pageKeyOf): a page takes up to PAGE_SLOTS events while its records come to
 * less than LIMITS.pageOpenBytes, and each page goes to a write shard of its own, so pages spread over the shards as
 * events did when each had an item.
 */
export class PageAllocator {
  private readonly open = new Map<string, OpenPage>();

  constructor(private readonly pickShard: () => number) {}

  allocate(timeMs: number, eventSource: string): Allocation {
    const group = `${sourceHash(eventSource)}#${Math.floor(timeMs / PAGE_SPAN_MS)}`;
    let page = this.open.get(group);
    if (page === undefined || page.slots === PAGE_SLOTS || page.bytes >= LIMITS.pageOpenBytes) {
      page = { token: newPageToken(), shard: this.pickShard(), slots: 0, bytes: 0 };
      this.open.set(group, page);
    }
    const eventID = pageEventId(timeMs, eventSource, page.shard, page.token, page.slots);
    page.slots += 1;
    return new PageSlot(eventID, page);
  }
}

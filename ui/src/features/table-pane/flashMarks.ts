// The flash marks of a pane: which rows are new and which cells changed in the last
// FLASH_MS, by row key. One structure, changed in place as events are applied in
// order, so an event costs in proportion to its own changes and expiry to the marks
// that run out — not to every mark of the last second (10,000 of them at 10,000
// changes/s, which copying per event made the pane's biggest cost after drawing).

/** A row's mark: changed column indexes, or "row" for a new row, until a time (ms). */
export interface Flash {
  columns: number[] | "row";
  until: number;
}

export class FlashMarks {
  private readonly marks = new Map<string, Flash>();
  /**
   * Marks in the order they were set, with the time each was set to run out: every mark
   * lasts as long, so they run out in this order. A key set again or deleted leaves its
   * older entry behind, which expiry skips.
   */
  private queue: { key: string; until: number }[] = [];
  private head = 0;

  /** Marks held (some may have run out since the last `expire`). */
  get size(): number {
    return this.marks.size;
  }

  get(key: string): Flash | undefined {
    return this.marks.get(key);
  }

  set(key: string, flash: Flash): void {
    this.marks.set(key, flash);
    this.queue.push({ key, until: flash.until });
  }

  delete(key: string): void {
    this.marks.delete(key);
  }

  /** Drops the marks that ran out by `now`; their keys. */
  expire(now: number): string[] {
    const expired: string[] = [];
    while (this.head < this.queue.length && this.queue[this.head].until <= now) {
      const { key, until } = this.queue[this.head++];
      if (this.marks.get(key)?.until === until) {
        this.marks.delete(key);
        expired.push(key);
      }
    }
    // Entries behind the head are dropped once they are most of the queue.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return expired;
  }
}

// A few requests at a time: scrolling a long timeline asks for many pictures at once,
// and the gateway limits each key's requests per minute. Work nobody waits for any more
// (its card scrolled away) is dropped before it starts.

interface Waiting {
  start: () => void;
  signal?: AbortSignal;
}

export class Slots {
  private running = 0;
  private waiting: Waiting[] = [];

  constructor(private readonly size: number) {}

  /** Runs `task` when a slot is free; rejects with AbortError if aborted first. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        if (signal?.aborted) {
          reject(new DOMException("aborted", "AbortError"));
          return;
        }
        this.running++;
        task()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.next();
          });
      };
      // Newest first: what was just scrolled to matters more than what scrolled past.
      this.waiting.unshift({ start, signal });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.size && this.waiting.length > 0) {
      (this.waiting.shift() as Waiting).start();
    }
  }
}

/** The one queue for pictures and card details. */
export const fetchSlots = new Slots(6);

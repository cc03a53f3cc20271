/**
 * Rows a sender has claimed and not yet finished in the database, across its lanes. Each time
 * the count returns to zero after a finished batch, `onNoneInHand` runs: only then may a
 * transport forget its journal, since another lane's accepted rows are not marked before that.
 */
export class RowsInHand {
  private count = 0;

  constructor(private readonly onNoneInHand: () => void) {}

  async hold<T>(rows: number, work: () => Promise<T>): Promise<T> {
    this.count += rows;
    let result: T;
    try {
      result = await work();
    } finally {
      this.count -= rows;
    }
    if (this.count === 0) this.onNoneInHand();
    return result;
  }
}

import { describe, expect, it } from 'vitest';
import { latestOnly } from './latest';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('latestOnly', () => {
  it('drops a slow earlier reply that arrives after a newer one', async () => {
    const replies = [deferred<string>(), deferred<string>()];
    let call = 0;
    const suggest = latestOnly((_text: string) => replies[call++].promise);

    const first = suggest('print');
    const second = suggest('printer jam');
    replies[1].resolve('newer');
    replies[0].resolve('older');

    expect(await second).toEqual({ stale: false, ok: true, value: 'newer' });
    expect(await first).toEqual({ stale: true });
  });

  it('drops an earlier reply even when it arrives first', async () => {
    const replies = [deferred<string>(), deferred<string>()];
    let call = 0;
    const suggest = latestOnly(() => replies[call++].promise);

    const first = suggest();
    const second = suggest();
    replies[0].resolve('older');
    expect(await first).toEqual({ stale: true });
    replies[1].resolve('newer');
    expect(await second).toMatchObject({ value: 'newer' });
  });

  it('reports the newest call’s failure, and swallows a stale one', async () => {
    const replies = [deferred<string>(), deferred<string>()];
    let call = 0;
    const run = latestOnly(() => replies[call++].promise);

    const first = run();
    const second = run();
    replies[0].reject(new Error('old failure'));
    replies[1].reject(new Error('new failure'));
    expect(await first).toEqual({ stale: true });
    expect(await second).toMatchObject({ stale: false, ok: false });
  });

  it('cancel() makes calls in flight stale', async () => {
    const reply = deferred<number>();
    const run = latestOnly(() => reply.promise);
    const pending = run();
    run.cancel();
    reply.resolve(1);
    expect(await pending).toEqual({ stale: true });
  });
});

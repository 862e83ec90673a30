// The strict backend's own cases: it refuses host access outside its kernels with the message
// device-neutral code is told to follow, lets read / write through and counts the reads, resolves
// value-returning kernels later, refuses matrices of another backend, and on the strict run the
// context's handle is the backend behind `la`.
import { type Case, check, checkReads, expectReject, expectThrow } from './harness.js';
import { HOST_ACCESS, StrictBackend } from './strict-backend.js';

const refused = new RegExp(HOST_ACCESS.replace(/[.()]/g, '\\$&'));

const selfTest: Case = {
  name: 'strict backend: host access throws, read / write work and reads are counted',
  deviceNeutral: true,
  async run({ lib, ref }) {
    const { la, strict } = StrictBackend.linalg(lib);
    check(la.backendName === 'strict', () => `backend name ${la.backendName}`);
    const M = la.fromArray([1, 2, 3, 4, 5, 6], 2, 3, 'float64');
    for (const [what, touch] of [
      ['toArray', () => M.toArray()], ['data', () => M.data], ['get', () => M.get(0, 0)], ['set', () => M.set(0, 0, 1)],
      ['assign', () => M.assign([0, 0, 0, 0, 0, 0])], ['toNested', () => M.toNested()], ['a view\'s toArray', () => M.view(0, 1, 2, 2).toArray()],
    ] as const) {
      await expectThrow(touch, refused).then(undefined, (e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
    }
    strict.resetReads();
    const all = await la.read(M), window = await la.read(M.view(0, 1, 2, 2));
    check(all.join() === '1,2,3,4,5,6' && window.join() === '2,3,5,6', () => `read gave ${all.join()} / ${window.join()}`);
    la.write(M.view(1, 0, 1, 3), [7, 8, 9]);
    await la.addDiagonal(M, 10);
    const after = await la.read(M);
    check(after.join() === '11,2,3,7,18,9', () => `write + addDiagonal gave ${after.join()}`);
    const stats = strict.reads();
    check(stats.calls === 3 && stats.largest === 6 && stats.total === 16 && stats.sizes.join() === '6,4,6', () => `read counters ${JSON.stringify(stats)}`);
    strict.resetReads();
    check(strict.reads().calls === 0 && strict.reads().largest === 0 && strict.reads().sizes.length === 0, () => 'resetReads left counts');
    // The facade's topk reads its k indices back: that read is counted too.
    const picked = await la.topk(la.fromArray([3, -9, 1, 4], 4, 1, 'float64'), 2);
    check(picked.join() === '1,3' && strict.reads().sizes.join() === '2', () => `topk ${picked.join()}, reads ${strict.reads().sizes.join()}`);
    // Value-returning kernels resolve later, as a device's readback does; void kernels run at once.
    const A = la.fromArray([4, 0, 2, 5], 2, 2);
    const info = strict.potrf(A);
    check(info instanceof Promise, () => 'strict potrf returned a value, not a promise');
    check((await info) === 0 && (await la.read(A)).join() === '2,0,1,2', () => 'strict potrf gave a wrong factor');
    check(strict.read(A) instanceof Promise, () => 'strict read returned a value, not a promise');
    // Matrices of another backend are refused (a device cannot see host memory).
    await expectReject(() => la.addDiagonal(ref.fromArray([1], 1, 1), 1), /strict backend: a 1x1 float32 matrix of backend reference/);
    // A view owns nothing, freed or not.
    await expectThrow(() => M.view(0, 0, 1, 1).free(), /Matrix\.free: argument this .*view/);
    M.free();
    A.free();
    await expectReject(() => la.read(M), /read: argument M .*not been freed/);
  },
};

const handle: Case = {
  name: 'strict backend: on the strict run, ctx.strict counts the reads of ctx.la',
  deviceNeutral: true,
  async run(ctx) {
    const { la, strict } = ctx;
    if (strict === null) {
      check(la.backendName !== 'strict', () => 'a strict la without its handle');
      return;
    }
    check(la.backendName === 'strict', () => `ctx.strict given with backend ${la.backendName}`);
    const M = la.fromArray(new Float32Array(12).fill(1), 3, 4);
    await expectThrow(() => M.get(2, 3), refused);
    strict.resetReads();
    await la.read(M.view(1, 1, 2, 3));
    check(strict.reads().calls === 1 && strict.reads().largest === 6, () => `counters ${JSON.stringify(strict.reads())}`);
    checkReads(ctx, 6, 'a 2x3 read');
    await expectThrow(() => checkReads(ctx, 5, 'a 2x3 read'), /a 2x3 read: a read of 6 elements > 5 \(reads: 6\)/);
    M.free();
  },
};

export function strictCases(): Case[] {
  return [selfTest, handle];
}

// BullMQ reference for the fan-out benchmark (bench/Bench/BullMqBench.cs runs it).
//
//   node flow.mjs --port <redis port> [--runs 50] [--children 10000] [--host 127.0.0.1]
//
// One FlowProducer adds flows of a parent job (queue "bench-parents") with no-op children (queue
// "bench-children"); one Worker with concurrency 10 on each queue, no-op processors. A run is timed
// with performance.now() from flowProducer.add() until the QueueEvents 'completed' event of the parent,
// which BullMQ processes only once all its children have completed. The parent's id is chosen here and
// its waiter registered before add(), so an event can never arrive before anyone waits for it.
//
// The order mirrors the fan-out suite: two untimed N-children flows and 200 one-child flows as warm-up,
// `runs` one-child flows 100 ms apart, `runs` back to back, then three timed N-children flows.
// Stdout gets one JSON line at the end; progress goes to stderr.

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { FlowProducer, QueueEvents, Worker } from 'bullmq';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    runs: { type: 'string', default: '50' },
    children: { type: 'string', default: '10000' },
  },
});
if (!values.port) {
  console.error('usage: node flow.mjs --port <redis port> [--runs 50] [--children 10000]');
  process.exit(2);
}
const connection = { host: values.host, port: Number(values.port) };
const runs = Number(values.runs);
const children = Number(values.children);
const warmupFlows = 2;
const warmupRuns = 200;
const timedFlows = 3;

const version = createRequire(import.meta.url)('bullmq/package.json').version;
const log = (...parts) => console.error('[bullmq]', ...parts);

const parentQueue = 'bench-parents';
const childQueue = 'bench-children';

// Waiters for the parents' 'completed' events, by job id.
const waiters = new Map();
const queueEvents = new QueueEvents(parentQueue, { connection });
queueEvents.on('completed', ({ jobId }) => {
  const waiter = waiters.get(jobId);
  if (waiter) {
    waiters.delete(jobId);
    waiter.resolve(performance.now());
  }
});
queueEvents.on('failed', ({ jobId, failedReason }) => {
  const waiter = waiters.get(jobId);
  if (waiter) {
    waiters.delete(jobId);
    waiter.reject(new Error(`parent ${jobId} failed: ${failedReason}`));
  }
});
queueEvents.on('error', (error) => log('queue events error:', error.message));

const noop = async () => undefined;
const workers = [
  new Worker(childQueue, noop, { connection, concurrency: 10 }),
  new Worker(parentQueue, noop, { connection, concurrency: 10 }),
];
for (const worker of workers) {
  worker.on('failed', (job, error) => log(`job ${job?.id} in ${worker.name} failed:`, error.message));
  worker.on('error', (error) => log(`worker ${worker.name} error:`, error.message));
}
const flowProducer = new FlowProducer({ connection });
flowProducer.on('error', (error) => log('flow producer error:', error.message));

let sequence = 0;

/** Adds one flow of a parent with `count` no-op children; resolves with the milliseconds until the parent completed. */
async function flow(count, timeoutMs) {
  const id = `p-${process.pid}-${++sequence}`;
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(id);
      reject(new Error(`parent ${id} (${count} children) did not complete within ${timeoutMs} ms`));
    }, timeoutMs);
    waiters.set(id, {
      resolve: (at) => { clearTimeout(timer); resolve(at); },
      reject: (error) => { clearTimeout(timer); reject(error); },
    });
  });
  const nodes = new Array(count);
  for (let i = 0; i < count; i++) nodes[i] = { name: 'child', queueName: childQueue, data: { i } };
  const start = performance.now();
  await flowProducer.add({ name: 'parent', queueName: parentQueue, data: {}, opts: { jobId: id }, children: nodes });
  const added = performance.now();
  const end = await done;
  return { ms: end - start, addMs: added - start };
}

/** Nearest-rank percentile of an ascending array: sorted[ceil(p n) - 1], as the fan-out suite computes it. */
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
const round = (x, digits = 2) => Number(x.toFixed(digits));
function figures(milliseconds) {
  const sorted = [...milliseconds].sort((a, b) => a - b);
  return {
    median: round(percentile(sorted, 0.5)),
    p95: round(percentile(sorted, 0.95)),
    min: round(sorted[0]),
    max: round(sorted[sorted.length - 1]),
  };
}

let exitCode = 0;
try {
  await Promise.all([queueEvents.waitUntilReady(), flowProducer.waitUntilReady(), ...workers.map((w) => w.waitUntilReady())]);
  log(`bullmq ${version}, node ${process.version}, redis ${connection.host}:${connection.port}, ${runs} latency runs, ${children} children`);

  const flowTimeout = Math.max(120_000, children * 20);
  for (let i = 0; i < warmupFlows; i++) {
    const r = await flow(children, flowTimeout);
    log(`warm-up ${children}-children flow: ${(r.ms / 1000).toFixed(2)} s (add ${(r.addMs / 1000).toFixed(2)} s)`);
  }
  for (let i = 0; i < warmupRuns; i++) await flow(1, 30_000);
  log(`${warmupRuns} warm-up 1-child flows done`);

  const apart = [];
  for (let i = 0; i < runs; i++) {
    await sleep(100);
    apart.push((await flow(1, 30_000)).ms);
  }
  const backToBack = [];
  for (let i = 0; i < runs; i++) backToBack.push((await flow(1, 30_000)).ms);
  const apartFigures = figures(apart);
  const backToBackFigures = figures(backToBack);
  log(`1-child flow, add -> parent completed, ${runs} runs 100 ms apart: median ${apartFigures.median} ms, p95 ${apartFigures.p95} ms (min ${apartFigures.min}, max ${apartFigures.max})`);
  log(`1-child flow, add -> parent completed, ${runs} runs back to back:  median ${backToBackFigures.median} ms, p95 ${backToBackFigures.p95} ms (min ${backToBackFigures.min}, max ${backToBackFigures.max})`);

  const timed = [];
  for (let i = 0; i < timedFlows; i++) {
    await sleep(500);
    const r = await flow(children, flowTimeout);
    const run = { seconds: round(r.ms / 1000, 3), addSeconds: round(r.addMs / 1000, 3), childrenPerSecond: round(children / (r.ms / 1000), 0) };
    timed.push(run);
    log(`${children}-children flow: ${run.seconds} s (add ${run.addSeconds} s), ${run.childrenPerSecond} children/s`);
  }
  const perSecond = timed.map((r) => r.childrenPerSecond).sort((a, b) => a - b);

  process.stdout.write(JSON.stringify({
    bullmq: version,
    apart: apartFigures,
    backToBack: backToBackFigures,
    childrenPerSecond: percentile(perSecond, 0.5),
    children,
    runs: timed,
  }) + '\n');
} catch (error) {
  log('failed:', error?.stack ?? error);
  exitCode = 1;
} finally {
  await Promise.allSettled([flowProducer.close(), queueEvents.close(), ...workers.map((w) => w.close())]);
}
process.exitCode = exitCode;

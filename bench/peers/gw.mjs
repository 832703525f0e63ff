// graphile-worker's side of bench/peers/duel.sh: one round of every scenario against DATABASE_URL, with the
// library's documented performance configuration. Figures go to --out as key=value lines (scenario.figure=value),
// progress to stderr.
//
//   node gw.mjs --out FILE --sink URL [--scenarios a,b,c,d8,e,d64] [--drain-jobs 100000] [--drain-warmup 20000]
//               [--http-jobs 20000] [--http-warmup 10000] [--wakeups 50] [--wakeup-gap-ms 100]
//               [--warmup-s 2] [--window-s 10] [--timeout-s 120]
//
//   a    drain of N no-op jobs: bulk-added first (addJobs), then the worker started, timed until the jobs table
//        is empty (an unmeasured warm-up drain first, in the same process);
//   b    the same with a job that POSTs its payload to the no-op sink over a keep-alive agent;
//   c    idle wake-up: one addJob at a time into a running idle worker, gap between them: addJob start to job start;
//   d8, d64  addJob (one job per call, one transaction each) from 8 / 64 concurrent callers for a fixed window;
//   e    addJobs of 100 jobs a call from 8 concurrent callers for a fixed window.
process.env.NO_LOG_SUCCESS = '1';
import http from 'node:http';
import { readFileSync, appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, runMigrations, makeWorkerUtils, Logger } from 'graphile-worker';

const { values: opt } = parseArgs({
  options: {
    out: { type: 'string' }, sink: { type: 'string' }, scenarios: { type: 'string', default: 'a,b,c,d8,e,d64' },
    'drain-jobs': { type: 'string', default: '100000' }, 'drain-warmup': { type: 'string', default: '20000' },
    'http-jobs': { type: 'string', default: '20000' }, 'http-warmup': { type: 'string', default: '10000' },
    wakeups: { type: 'string', default: '50' }, 'wakeup-gap-ms': { type: 'string', default: '100' },
    'warmup-s': { type: 'string', default: '2' }, 'window-s': { type: 'string', default: '10' },
    'timeout-s': { type: 'string', default: '120' },
  },
});
const CONN = process.env.DATABASE_URL;
if (!CONN || !opt.out) throw new Error('DATABASE_URL and --out are required');
const num = (k) => Number(opt[k]);
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/graphile-worker/package.json', import.meta.url))).version;
const JOBS = 'graphile_worker._private_jobs';

// worker.graphile.org/docs/performance: 24 concurrent jobs, a pool of 25, a local queue of 500 jobs fetched
// in one go, completions and failures batched.
const PERF = {
  concurrency: 24,
  maxPoolSize: 25,
  preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
};

const logger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`[graphile-worker ${level}] ${message}`);
});
const now = () => performance.now();
const log = (s) => console.error(s);
const fixed = (v, d) => (Number.isFinite(v) ? v.toFixed(d) : 'NaN');
function emit(scenario, figures) {
  const lines = Object.entries(figures).map(([k, v]) => `${scenario}.${k}=${String(v).replace(/\n/g, ' ')}`);
  appendFileSync(opt.out, lines.join('\n') + '\n');
  lines.forEach((l) => log('  ' + l));
}
function quantile(values, p) {
  if (!values.length) return NaN;
  const s = [...values].sort((x, y) => x - y);
  return s[Math.max(0, Math.min(s.length - 1, Math.ceil(p * s.length) - 1))];
}

const utils = await makeWorkerUtils({ connectionString: CONN, logger, maxPoolSize: 8 });
const sql = (text, values) => utils.withPgClient((c) => c.query(text, values));
const jobsLeft = async () => (await sql(`select count(*)::int as n from ${JOBS}`)).rows[0].n;
const specs = (n, identifier) => Array.from({ length: n }, () => ({ identifier, payload: { n: 1 } }));

async function freshSchema() {
  await sql('drop schema if exists graphile_worker cascade');
  await runMigrations({ connectionString: CONN, logger });
}

// ------------------------------------------------------------------------------------------------ drains

const sinkUrl = opt.sink ? new URL(opt.sink) : null;
const agent = new http.Agent({ keepAlive: true, maxSockets: PERF.concurrency });

function postToSink(path, body, jobId) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    if (body) headers['content-length'] = Buffer.byteLength(body);
    if (jobId) headers['x-job-id'] = jobId;
    const req = http.request({ host: sinkUrl.hostname, port: sinkUrl.port, path, method: 'POST', agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString())
        : reject(new Error(`sink answered ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
const sinkCounts = async () => JSON.parse(await new Promise((resolve, reject) => {
  http.get({ host: sinkUrl.hostname, port: sinkUrl.port, path: '/_sink/counts', agent }, (res) => {
    let s = '';
    res.on('data', (c) => (s += c));
    res.on('end', () => resolve(s));
  }).on('error', reject);
}));

/**
 * Adds `total` jobs in one addJobs call, starts a worker and times it until the jobs table is empty (bounded by
 * --timeout-s: then the rate so far, marked). The handler counts the jobs it ran.
 */
async function drainOnce(total, identifier, task, timeoutMs) {
  const tAdd = now();
  await utils.addJobs(specs(total, identifier));
  const addSecs = (now() - tAdd) / 1000;
  await sql(`vacuum analyze ${JOBS}`);
  const seen = { handled: 0, failures: 0 };
  const taskList = {
    [identifier]: async (payload, helpers) => {
      seen.handled++;
      try {
        await task(payload, helpers);
      } catch (e) {
        seen.failures++;
        throw e;
      }
    },
  };
  const t0 = now();
  const runner = await run({ connectionString: CONN, logger, noHandleSignals: true, taskList, ...PERF });
  const started = now() - t0;
  const deadline = t0 + timeoutMs;
  while (seen.handled < total && now() < deadline) await sleep(2);
  let left = await jobsLeft();
  while (left > 0 && now() < deadline) {
    await sleep(5);
    left = await jobsLeft();
  }
  const secs = (now() - t0) / 1000;
  await runner.stop();
  return { total, secs, left, addSecs, started, ...seen };
}

async function drain(scenario, total, warmup, identifier, task) {
  const timeoutMs = num('timeout-s') * 1000;
  log(`[graphile-worker] (${scenario}) drain: warm-up of ${warmup} jobs, then ${total} jobs bulk-added, worker started, until the table is empty`);
  if (warmup > 0) {
    const w = await drainOnce(warmup, identifier, task, Math.min(timeoutMs, 60000));
    if (w.left > 0) await sql(`delete from ${JOBS}`);
  }
  const before = sinkUrl && identifier === 'post' ? await sinkCounts() : null;
  const r = await drainOnce(total, identifier, task, timeoutMs);
  const finished = total - r.left;
  const figures = { tasks_per_s: Math.round(finished / r.secs), seconds: fixed(r.secs, 2), tasks: total,
    handled: r.handled, failed_attempts: r.failures, jobs_left: r.left, bulk_add_seconds: fixed(r.addSecs, 2),
    worker_start_ms: Math.round(r.started) };
  if (r.left > 0) {
    figures.timed_out = `after ${fixed(r.secs, 0)} s with ${finished} of ${total} finished (the rate is over those)`;
    await sql(`delete from ${JOBS}`);
  }
  if (before) {
    const after = await sinkCounts();
    figures.sink_requests = after.requests - before.requests;
  }
  emit(scenario, figures);
}

// ------------------------------------------------------------------------------------------------ wake-up

async function wakeup() {
  const count = num('wakeups');
  const gap = num('wakeup-gap-ms');
  const warm = 5;
  log(`[graphile-worker] (c) idle wake-up: ${count} addJob calls ${gap} ms apart (after ${warm} unmeasured), addJob start to job start`);
  const waiting = new Map();
  const taskList = { wake: async ({ i }) => { const t = now(); waiting.get(i)?.(t); } };
  const runner = await run({ connectionString: CONN, logger, noHandleSignals: true, taskList, ...PERF });
  await sleep(1000);
  const lat = [];
  let late = 0;
  for (let i = 0; i < warm + count; i++) {
    await sleep(gap);
    const arrived = new Promise((resolve) => waiting.set(i, resolve));
    const t0 = now();
    await utils.addJob('wake', { i });
    const t1 = await Promise.race([arrived, sleep(5000).then(() => null)]);
    waiting.delete(i);
    if (i < warm) continue;
    if (t1 === null) late++;
    else lat.push(t1 - t0);
  }
  await runner.stop();
  emit('c', { count: lat.length, median_ms: fixed(quantile(lat, 0.5), 2), p90_ms: fixed(quantile(lat, 0.9), 2),
    max_ms: fixed(Math.max(...lat), 2), over_5000ms: late });
  await sql(`delete from ${JOBS}`);
}

// ------------------------------------------------------------------------------------------------ enqueue

/** Connections the server can still give (max_connections less those open, less a margin of 5). */
async function freeConnections() {
  const r = await sql(`select current_setting('max_connections')::int - (select count(*) from pg_stat_activity)::int as n`);
  return r.rows[0].n - 5;
}

/** Closed loop: `callers` each call `once` back to back; counts calls (x perCall jobs) that end in the window. */
async function closedLoop(scenario, callers, perCall, once) {
  const warmupMs = num('warmup-s') * 1000;
  const windowMs = num('window-s') * 1000;
  const pool = Math.min(callers, Math.max(1, await freeConnections()));
  const producer = await makeWorkerUtils({ connectionString: CONN, logger, maxPoolSize: pool });
  const start = now();
  const from = start + warmupMs;
  const to = from + windowMs;
  let inWindow = 0;
  let errors = 0;
  let firstError = '';
  await Promise.all(Array.from({ length: callers }, async () => {
    while (now() < to) {
      try {
        await once(producer);
        const t = now();
        if (t >= from && t <= to) inWindow++;
      } catch (e) {
        if (!errors++) firstError = String(e.message ?? e);
        await sleep(10);
      }
    }
  }));
  await producer.release();
  const stored = await jobsLeft();
  emit(scenario, { tasks_per_s: Math.round((inWindow * perCall) / (windowMs / 1000)), callers, pool_size: pool,
    seconds: windowMs / 1000, jobs_stored: stored, errors: errors ? `${errors} (first: ${firstError})` : 'none' });
  await sql(`delete from ${JOBS}`);
}

const bulk = specs(100, 'noop');
const SCENARIOS = {
  a: () => drain('a', num('drain-jobs'), num('drain-warmup'), 'noop', async () => {}),
  b: () => {
    if (!sinkUrl) throw new Error('scenario b needs --sink');
    return drain('b', num('http-jobs'), num('http-warmup'), 'post',
      (payload, helpers) => postToSink('/', JSON.stringify(payload), helpers.job.id));
  },
  c: wakeup,
  d8: () => { log('[graphile-worker] (d) addJob, 8 concurrent callers'); return closedLoop('d8', 8, 1, (u) => u.addJob('noop', { n: 1 })); },
  d64: () => { log('[graphile-worker] (d) addJob, 64 concurrent callers'); return closedLoop('d64', 64, 1, (u) => u.addJob('noop', { n: 1 })); },
  e: () => { log('[graphile-worker] (e) addJobs of 100, 8 concurrent callers'); return closedLoop('e', 8, 100, (u) => u.addJobs(bulk)); },
};

try {
  appendFileSync(opt.out, `version=${VERSION}\nnode=${process.version}\nconfig=${JSON.stringify(PERF)}\n`);
  await freshSchema();
  for (const s of opt.scenarios.split(',')) {
    if (!SCENARIOS[s]) throw new Error(`unknown scenario ${s}`);
    try {
      await SCENARIOS[s]();
    } catch (e) {
      // one scenario failing does not stop the others
      log(`  scenario ${s} FAILED: ${e.stack ?? e}`);
      emit(s, { error: String(e.message ?? e) });
    }
  }
} finally {
  await utils.release();
  agent.destroy();
}
process.exit(0);

/**
 * The calendar routes under hostile dates and the wrong administrator (issue 7 items 1 and 5).
 *
 * `GET /calendar/add-working-days?from=9999-12-31&days=2` used to spin the API process forever
 * (`/healthz` stopped answering): that case runs against the real API process (api/main.ts) in a
 * child, with a deadline on each request, so that a hang fails the test instead of blocking jest.
 * The official calendar (国务院办公厅 部分节假日安排) is national: only the central leading group
 * loads it; a province that tries is refused and the calendar stays as it was.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startStack, type Stack } from './helpers/stack';

const YEAR = 2028;
const schedule = {
  year: YEAR,
  source: '测试用：2028年部分节假日安排（节选）',
  holidays: [{ name: '元旦', from: '2028-01-01', to: '2028-01-03' }],
  workdays: [],
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('time-skipping', { tag: 'calapi', central: true, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
  await stack.db.calendarYear.deleteMany({ where: { year: YEAR } });
});
afterAll(async () => {
  await stack?.db.calendarYear.deleteMany({ where: { year: YEAR } });
  await stack?.stop();
});

const villageStaff = () => stack.as(stack.tree.villages[0].tokens.STAFF);
const paths = (res: { body: { error?: { details?: Array<{ path: string }> } } }) => (res.body.error?.details ?? []).map((d) => d.path);

describe('the API process under an extreme date', () => {
  let api: ChildProcess | undefined;
  let base = '';
  let output = '';

  beforeAll(async () => {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    base = `http://127.0.0.1:${port}`;
    const root = join(__dirname, '..');
    // node itself with tsx's loader (not the tsx CLI, whose own child would outlive a kill)
    api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, API_PORT: String(port), API_HOST: '127.0.0.1', TEMPORAL_ADDRESS: stack.env.address, TEMPORAL_NAMESPACE: stack.env.namespace ?? 'default' },
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the API did not start: ${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('API listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      api!.stdout!.on('data', onData);
      api!.stderr!.on('data', onData);
      api!.once('exit', (code) => reject(new Error(`the API exited with ${code}: ${output}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (!api || api.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => api!.once('exit', () => resolve()));
    api.kill('SIGKILL');
    await exited;
  });

  /** a request with a deadline: a hung API fails the test within seconds */
  const get = async (path: string, token?: string) => {
    const res = await fetch(`${base}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(4_000) });
    return { status: res.status, body: (await res.json()) as { error?: { details?: Array<{ path: string }> } } };
  };

  test(
    'from=9999-12-31 answers 400 at once, and /healthz still answers afterwards',
    async () => {
      const token = stack.tree.villages[0].tokens.STAFF;
      const res = await get('/calendar/add-working-days?from=9999-12-31&days=2', token);
      expect(res.status).toBe(400);
      expect(paths(res)).toEqual(['query.from']);
      expect((await get('/healthz')).status).toBe(200);
      // and a count whose result would pass 2100 is refused, not computed
      const far = await get('/calendar/add-working-days?from=2100-12-24&days=6', token);
      expect(far.status).toBe(400);
      expect(paths(far)).toEqual(['query.days']);
      expect((await get('/healthz')).status).toBe(200);
    },
    12_000,
  );
});

describe('dates the calendar routes refuse', () => {
  // (a row that got through must not poison the next tests' calendar loads)
  afterEach(() => stack.db.calendarYear.deleteMany({ where: { year: YEAR } }));

  test('2026-02-30 is not a date', async () => {
    const res = await villageStaff().get('/calendar/add-working-days?from=2026-02-30&days=1');
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['query.from']);
  }, 5_000);

  test('a holiday running to 9999-12-31 is refused with its path, and nothing is stored', async () => {
    const central = stack.as(stack.tree.central!.tokens.LEADER);
    const res = await central.put(`/admin/calendar/${YEAR}`, { ...schedule, holidays: [{ name: '元旦', from: '2028-01-01', to: '9999-12-31' }] });
    expect(res.status).toBe(400);
    expect(paths(res)).toContain('body.holidays.0.to');
    expect(await stack.db.calendarYear.findUnique({ where: { year: YEAR } })).toBeNull();
    // the calendar still loads (it used to hang on such a row)
    expect((await villageStaff().get('/calendar/add-working-days?from=2027-12-30&days=2')).status).toBe(200);
  }, 5_000);

  test('a holiday on an impossible date is refused', async () => {
    const central = stack.as(stack.tree.central!.tokens.LEADER);
    const res = await central.put(`/admin/calendar/${YEAR}`, { ...schedule, holidays: [{ name: '春节', from: '2028-02-30', to: '2028-03-02' }] });
    expect(res.status).toBe(400);
    expect(paths(res)).toContain('body.holidays.0.from');
  }, 5_000);
});

describe('who loads the official calendar', () => {
  test('the central leading group loads it; a province cannot change it', async () => {
    const { central, province } = stack.tree;
    expect((await stack.as(central!.tokens.STAFF).put(`/admin/calendar/${YEAR}`, schedule)).status).toBe(403);
    const loaded = await stack.as(central!.tokens.LEADER).put(`/admin/calendar/${YEAR}`, schedule);
    expect(loaded.status).toBe(200);

    // 2027-12-31 (Fri) + 1 working day: 2028-01-01…01-03 rest → Tuesday 2028-01-04
    const before = await villageStaff().get('/calendar/add-working-days?from=2027-12-31&days=1');
    expect(before.body).toMatchObject({ date: '2028-01-04', provisional: false });

    const rewritten = { ...schedule, source: '某省自定', holidays: [{ name: '元旦', from: '2028-01-01', to: '2028-01-20' }] };
    for (const role of ['DEPUTY', 'LEADER'] as const) {
      const res = await stack.as(province.tokens[role]).put(`/admin/calendar/${YEAR}`, rewritten);
      expect([role, res.status]).toEqual([role, 403]);
    }
    const after = await villageStaff().get(`/calendar/${YEAR}`);
    expect(after.body).toMatchObject({ source: schedule.source, holidays: schedule.holidays });
    expect((await villageStaff().get('/calendar/add-working-days?from=2027-12-31&days=1')).body).toMatchObject({ date: '2028-01-04', provisional: false });
  }, 10_000);
});

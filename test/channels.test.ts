/**
 * The outbound channels (activities/channels.ts; issue 10) against real HTTP receivers on loopback:
 * a WeCom-format and a DingTalk-format robot (the DingTalk receiver checks the signature the way
 * DingTalk does), and a generic webhook receiver that checks the HMAC and keeps one message per
 * Idempotency-Key; and e-mail through a real SMTP server on loopback (the `smtp-server` package)
 * read back with a MIME parser. Failures are classified: what a retry can mend, and what it cannot.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import {
  WEBHOOK_HEADERS,
  deliver,
  dingTalkSign,
  truncateUtf8,
  type ChannelMessage,
  type WebhookPayload,
} from '../activities/channels';

interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on 127.0.0.1 whose answer the test decides per request. */
async function receiver(answer: (req: Received, res: ServerResponse) => void): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const r = { url: req.url ?? '', headers: req.headers, body };
      received.push(r);
      answer(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const json = (res: ServerResponse, status: number, body: object) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

// an escalation of the village verification (000 篇三 第四十二条: the village verifies and publishes)
const escalation: ChannelMessage = {
  dedupeKey: 'case-1:3:escalation:2',
  kind: 'ESCALATION',
  title: '逾期督办（第2级·主要负责人）：张三户 (4101)「村两委和驻村工作队核实」已超期',
  body: '贫困户退出（张三户）的「村两委和驻村工作队核实」应于 2026-03-10T16:00:00.000Z 前办结，现已逾期，请督促办理。',
  caseId: 'case-1',
  caseUrl: 'https://fupin.example.gov.cn/cases/case-1',
  recipient: { id: 'p-1', name: '李四', orgUnitName: '南沟村' },
};

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});
const open = async (answer: Parameters<typeof receiver>[0]) => {
  const r = await receiver(answer);
  closers.push(r.close);
  return r;
};

test('a WeCom group robot gets one markdown message in Chinese with its kind, whom it is for and the link to the case', async () => {
  const robot = await open((_req, res) => json(res, 200, { errcode: 0, errmsg: 'ok' }));
  const outcome = await deliver({ channel: 'wecom', webhookUrl: `${robot.url}/cgi-bin/webhook/send?key=robot-key` }, escalation);
  expect(outcome).toEqual({ delivered: true, status: 200 });
  expect(robot.received).toHaveLength(1);
  expect(robot.received[0].url).toBe('/cgi-bin/webhook/send?key=robot-key');
  expect(robot.received[0].headers['content-type']).toBe('application/json; charset=utf-8');
  const body = JSON.parse(robot.received[0].body) as { msgtype: string; markdown: { content: string } };
  expect(body.msgtype).toBe('markdown');
  expect(body.markdown.content).toContain('### 【逾期督办】逾期督办（第2级·主要负责人）：张三户 (4101)「村两委和驻村工作队核实」已超期');
  expect(body.markdown.content).toContain('> 接收人：李四（南沟村）');
  expect(body.markdown.content).toContain('[查看案件](https://fupin.example.gov.cn/cases/case-1)');
});

test('a DingTalk robot with a secret gets a message whose signature it verifies; a wrong secret is refused for good', async () => {
  const secret = 'SEC0123456789abcdef';
  const sent: number[] = [];
  const robot = await open((req, res) => {
    // DingTalk's check: timestamp within an hour, sign = base64(HMAC-SHA256(secret, "<timestamp>\n<secret>"))
    const url = new URL(req.url, 'http://robot');
    const timestamp = Number(url.searchParams.get('timestamp'));
    const expected = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
    if (url.searchParams.get('sign') !== expected || Math.abs(Date.now() - timestamp) > 3_600_000) return json(res, 200, { errcode: 310000, errmsg: 'sign not match' });
    sent.push(timestamp);
    json(res, 200, { errcode: 0, errmsg: 'ok' });
  });
  const webhookUrl = `${robot.url}/robot/send?access_token=token-1`;
  const outcome = await deliver({ channel: 'dingtalk', webhookUrl, secret }, escalation);
  expect(outcome).toEqual({ delivered: true, status: 200 });
  expect(sent).toHaveLength(1);
  const body = JSON.parse(robot.received[0].body) as { msgtype: string; markdown: { title: string; text: string } };
  expect(body).toMatchObject({ msgtype: 'markdown', markdown: { title: expect.stringMatching(/^【逾期督办】/) } });
  expect(body.markdown.text).toContain('[查看案件](https://fupin.example.gov.cn/cases/case-1)');
  expect(new URL(robot.received[0].url, 'http://robot').searchParams.get('access_token')).toBe('token-1');

  const refused = await deliver({ channel: 'dingtalk', webhookUrl, secret: 'another-secret' }, escalation);
  expect(refused).toMatchObject({ delivered: false, retryable: false, error: 'errcode 310000: sign not match' });
  expect(sent).toHaveLength(1);
  // the signature is the documented one, independent of the receiver above
  expect(dingTalkSign('secret', 1700000000000)).toBe(createHmac('sha256', 'secret').update('1700000000000\nsecret').digest('base64'));
});

test('a webhook gets a signed JSON body with the dedupe key as Idempotency-Key; a retry after a receiver error is taken once', async () => {
  const secret = 'webhook-secret-of-the-county';
  const taken = new Map<string, WebhookPayload>();
  let failNext = true;
  const hook = await open((req, res) => {
    const timestamp = String(req.headers[WEBHOOK_HEADERS.timestamp.toLowerCase()]);
    const signature = createHmac('sha256', secret).update(`${timestamp}.${req.body}`).digest('hex');
    if (req.headers[WEBHOOK_HEADERS.signature.toLowerCase()] !== `sha256=${signature}`) return json(res, 401, { error: 'bad signature' });
    if (failNext) {
      failNext = false;
      return json(res, 503, { error: 'busy' });
    }
    const key = String(req.headers['idempotency-key']);
    if (!taken.has(key)) taken.set(key, JSON.parse(req.body) as WebhookPayload);
    json(res, 200, { ok: true });
  });
  const target = { channel: 'webhook' as const, url: `${hook.url}/hooks/fupin`, secret };
  const first = await deliver(target, escalation);
  expect(first).toMatchObject({ delivered: false, retryable: true, status: 503 });
  expect(await deliver(target, escalation)).toEqual({ delivered: true, status: 200 });
  // at-least-once: a repeat of a delivered message is one message at the receiver
  expect(await deliver(target, escalation)).toEqual({ delivered: true, status: 200 });
  expect(hook.received).toHaveLength(3);
  expect([...taken.keys()]).toEqual([escalation.dedupeKey]);
  expect(taken.get(escalation.dedupeKey)).toEqual({
    id: escalation.dedupeKey,
    kind: 'ESCALATION',
    title: escalation.title,
    body: escalation.body,
    caseId: 'case-1',
    caseUrl: escalation.caseUrl,
    recipient: escalation.recipient,
    sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
  });
  // a wrong secret: the receiver's 401 is final
  expect(await deliver({ ...target, secret: 'not-it' }, escalation)).toMatchObject({ delivered: false, retryable: false, status: 401 });
});

test('what a retry can mend and what it cannot: no answer, 5xx, 429, a robot rate limit against 4xx and refusals', async () => {
  const statuses = await open((req, res) => {
    const status = Number(new URL(req.url, 'http://x').searchParams.get('status'));
    if (status === 0) return; // never answers
    if (status === 200) return json(res, 200, { errcode: 45009, errmsg: 'api freq out of limit' });
    json(res, status, { error: 'no' });
  });
  const at = (status: number) => ({ channel: 'wecom' as const, webhookUrl: `${statuses.url}/send?status=${status}` });
  expect(await deliver(at(0), escalation, { timeoutMs: 300 })).toMatchObject({ delivered: false, retryable: true, error: expect.stringMatching(/^no answer/) });
  expect(await deliver(at(502), escalation)).toMatchObject({ delivered: false, retryable: true, status: 502 });
  expect(await deliver(at(429), escalation)).toMatchObject({ delivered: false, retryable: true, status: 429 });
  expect(await deliver(at(200), escalation)).toMatchObject({ delivered: false, retryable: true, error: 'errcode 45009: api freq out of limit' });
  expect(await deliver(at(404), escalation)).toMatchObject({ delivered: false, retryable: false, status: 404 });
  // nothing listens there: refused at once, worth a retry later
  const closed = await open(() => undefined);
  await closed.close();
  expect(await deliver({ channel: 'wecom', webhookUrl: `${closed.url}/send` }, escalation)).toMatchObject({ delivered: false, retryable: true });
});

test('long and hostile text: cut to the robot limit on a character boundary, markdown and control characters kept as text', async () => {
  const robot = await open((_req, res) => json(res, 200, { errcode: 0, errmsg: 'ok' }));
  const long = { ...escalation, title: '标题*[链接](http://evil)#', body: '逾期'.repeat(3000) + '\u0000\ud800' };
  expect(await deliver({ channel: 'wecom', webhookUrl: `${robot.url}/send` }, long)).toEqual({ delivered: true, status: 200 });
  const content = (JSON.parse(robot.received[0].body) as { markdown: { content: string } }).markdown.content;
  expect(Buffer.byteLength(content, 'utf8')).toBeLessThanOrEqual(4096);
  expect(content.endsWith('…')).toBe(true);
  expect(content).toContain('标题\\*\\[链接\\](http://evil)\\#');
  // a cut never splits a character: 3-byte 逾 and 4-byte 𠀀 both survive whole
  expect(truncateUtf8('逾期逾期', 7)).toBe('逾…');
  expect(truncateUtf8('𠀀𠀀', 7)).toBe('𠀀…');
  expect(truncateUtf8('短', 100)).toBe('短');
});

/** An SMTP server on 127.0.0.1 that keeps what it is sent; `refuse` answers a recipient with an SMTP error. */
async function smtpSink(refuse?: (address: string) => { code: number; message: string } | undefined) {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const refusal = refuse?.(address.address);
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          mails.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 2000, greetingTimeout: 2000, socketTimeout: 5000 });
  const close = async () => {
    transport.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  closers.push(close);
  return { mails, port, mail: { transport, from: '"脱贫攻坚督办" <duban@fupin.example.gov.cn>' } };
}

test('an e-mail in Chinese reaches a real SMTP server: UTF-8 subject and body, the case link, a Message-ID from the dedupe key', async () => {
  const sink = await smtpSink();
  const outcome = await deliver({ channel: 'email', address: 'lisi@nangou.example.gov.cn' }, escalation, { mail: sink.mail });
  expect(outcome).toEqual({ delivered: true, status: 250 });
  expect(sink.mails).toHaveLength(1);
  const [mail] = sink.mails;
  expect(mail.subject).toBe(`【逾期督办】${escalation.title}`);
  expect(mail.text).toContain('李四：');
  expect(mail.text).toContain(escalation.body);
  expect(mail.text).toContain('查看案件：https://fupin.example.gov.cn/cases/case-1');
  expect(mail.from?.value[0]).toEqual({ address: 'duban@fupin.example.gov.cn', name: '脱贫攻坚督办' });
  expect(mail.headers.get('x-fupin-dedupe-key')).toBe(escalation.dedupeKey);
  // the same message sent again carries the same Message-ID: a mail system can tell the copies apart
  await deliver({ channel: 'email', address: 'lisi@nangou.example.gov.cn' }, escalation, { mail: sink.mail });
  expect(sink.mails[1].messageId).toBe(mail.messageId);
  expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@fupin\.notifications>$/);
});

test('SMTP refusals: a 4xx is worth a retry, a 5xx is not, no server is; no SMTP configured is final', async () => {
  const sink = await smtpSink((address) =>
    address.startsWith('busy') ? { code: 451, message: 'mailbox busy, try later' } : address.startsWith('gone') ? { code: 550, message: 'no such mailbox' } : undefined,
  );
  expect(await deliver({ channel: 'email', address: 'busy@x.example.gov.cn' }, escalation, { mail: sink.mail })).toMatchObject({ delivered: false, retryable: true, status: 451 });
  expect(await deliver({ channel: 'email', address: 'gone@x.example.gov.cn' }, escalation, { mail: sink.mail })).toMatchObject({ delivered: false, retryable: false, status: 550 });
  expect(sink.mails).toHaveLength(0);
  const nowhere = { transport: createTransport({ host: '127.0.0.1', port: 1, secure: false, ignoreTLS: true, connectionTimeout: 1000 }), from: 'a@b.example.gov.cn' };
  expect(await deliver({ channel: 'email', address: 'lisi@x.example.gov.cn' }, escalation, { mail: nowhere })).toMatchObject({ delivered: false, retryable: true });
  expect(await deliver({ channel: 'email', address: 'lisi@x.example.gov.cn' }, escalation)).toEqual({ delivered: false, retryable: false, error: 'no SMTP server is configured' });
});

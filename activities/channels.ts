/**
 * Outbound notification channels (issue 10): how one message reaches a WeCom group robot
 * (企业微信群机器人), a DingTalk robot (钉钉自定义机器人, signed with its timestamp secret), a
 * system of the office's own through a generic webhook, or a person by e-mail over SMTP. Each
 * `deliver` is one HTTP POST (or one SMTP transaction) with a bounded wait; its outcome says
 * whether a retry can help (a network error, a 5xx, 408, 429, a robot's rate limit, an SMTP 4xx)
 * or not (any other 4xx, a robot's refusal such as a bad signature, an SMTP 5xx). Sending is
 * at-least-once: the webhook carries the notification's dedupe key as `Idempotency-Key`, and the
 * robots, which have none, are not sent a message again once one attempt was delivered (the
 * caller keeps the delivery record).
 *
 * Messages are markdown in Chinese with a link to the case. Bodies are cut to the robots' limits
 * on a character boundary (WeCom: 4 096 bytes of content; DingTalk: 20 000 bytes).
 */
import { createHash, createHmac } from 'node:crypto';
import type { Transporter } from 'nodemailer';

/** What every channel sends: one notification to one recipient. */
export interface ChannelMessage {
  /** the notification's dedupe key: the webhook's Idempotency-Key */
  dedupeKey: string;
  kind: 'REMINDER' | 'ESCALATION' | 'TASK' | 'INFO';
  title: string;
  body: string;
  /** the case the message is about, and where a person opens it */
  caseId?: string;
  caseUrl?: string;
  /** who it is for (a person's name and unit), shown in group messages */
  recipient?: { id: string; name: string; orgUnitName?: string };
}

export type DeliveryOutcome =
  | { delivered: true; status: number }
  | { delivered: false; retryable: boolean; status?: number; error: string };

export type ChannelTarget =
  | { channel: 'wecom'; webhookUrl: string }
  | { channel: 'dingtalk'; webhookUrl: string; secret?: string }
  | { channel: 'webhook'; url: string; secret: string }
  | { channel: 'email'; address: string };

export interface ChannelDeps {
  /** the SMTP transport (nodemailer) and the sender address, for e-mail */
  mail?: { transport: Transporter; from: string };
  /** the HTTP client (global fetch by default) */
  fetch?: typeof fetch;
  /** the clock, for DingTalk's signed timestamp and the webhook's (ms since the epoch) */
  now?: () => number;
  /** how long one POST may take before it counts as failed (retryable) */
  timeoutMs?: number;
}

/** Headers of the generic webhook. */
export const WEBHOOK_HEADERS = {
  signature: 'X-Fupin-Signature',
  timestamp: 'X-Fupin-Timestamp',
  idempotencyKey: 'Idempotency-Key',
} as const;

/** The generic webhook's JSON body (documented in the README). */
export interface WebhookPayload {
  /** the notification's dedupe key: the same for every attempt at the same message */
  id: string;
  kind: ChannelMessage['kind'];
  title: string;
  body: string;
  caseId: string | null;
  caseUrl: string | null;
  recipient: ChannelMessage['recipient'] | null;
  /** when this attempt was sent (ISO 8601, UTC) */
  sentAt: string;
}

const KIND_LABEL: Record<ChannelMessage['kind'], string> = {
  TASK: '新待办',
  REMINDER: '到期提醒',
  ESCALATION: '逾期督办',
  INFO: '通知',
};

/** WeCom and DingTalk answer 200 with an errcode; these mean "too many messages, try later". */
const ROBOT_RATE_LIMITED = new Set([45009, 130101]);

/** `text` cut to at most `maxBytes` of UTF-8, never inside a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const ellipsis = '…';
  let bytes = Buffer.byteLength(ellipsis, 'utf8');
  let out = '';
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > maxBytes) break;
    out += ch;
    bytes += size;
  }
  return out + ellipsis;
}

/** Markdown special characters of a title or name, escaped so that they stay text. */
const escapeMarkdown = (text: string) => text.replace(/([\\`*_[\]#>|])/g, '\\$1');

/** The message as the robots' markdown: a heading with its kind, the body, whom it is for, a link to the case. */
export function robotMarkdown(message: ChannelMessage): string {
  const lines = [`### 【${KIND_LABEL[message.kind]}】${escapeMarkdown(message.title)}`, '', escapeMarkdown(message.body)];
  if (message.recipient) {
    const unit = message.recipient.orgUnitName ? `（${escapeMarkdown(message.recipient.orgUnitName)}）` : '';
    lines.push('', `> 接收人：${escapeMarkdown(message.recipient.name)}${unit}`);
  }
  if (message.caseUrl) lines.push('', `[查看案件](${message.caseUrl})`);
  return lines.join('\n');
}

/** The WeCom group robot's body (`msgtype: markdown`, content at most 4 096 bytes). */
export function weComBody(message: ChannelMessage) {
  return { msgtype: 'markdown', markdown: { content: truncateUtf8(robotMarkdown(message), 4096) } };
}

/** The DingTalk robot's body (`msgtype: markdown`; the title is what the chat list shows). */
export function dingTalkBody(message: ChannelMessage) {
  return { msgtype: 'markdown', markdown: { title: truncateUtf8(`【${KIND_LABEL[message.kind]}】${message.title}`, 200), text: truncateUtf8(robotMarkdown(message), 20_000) } };
}

/** DingTalk's signature: base64 HMAC-SHA256 of "<timestamp>\n<secret>" keyed by the secret. */
export function dingTalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** The robot's webhook URL with `timestamp` and `sign` added (DingTalk refuses a timestamp over an hour off). */
export function dingTalkSignedUrl(webhookUrl: string, secret: string, timestampMs: number): string {
  const url = new URL(webhookUrl);
  url.searchParams.set('timestamp', String(timestampMs));
  url.searchParams.set('sign', dingTalkSign(secret, timestampMs));
  return url.toString();
}

/** The generic webhook's signature header value: "sha256=" and the hex HMAC of "<timestamp>.<body>". */
export function webhookSignature(secret: string, timestampMs: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex')}`;
}

export function webhookPayload(message: ChannelMessage, sentAtMs: number): WebhookPayload {
  return {
    id: message.dedupeKey,
    kind: message.kind,
    title: message.title,
    body: message.body,
    caseId: message.caseId ?? null,
    caseUrl: message.caseUrl ?? null,
    recipient: message.recipient ?? null,
    sentAt: new Date(sentAtMs).toISOString(),
  };
}

const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

/** One POST of a JSON body; its outcome, never a throw. */
async function post(deps: ChannelDeps, url: string, body: string, headers: Record<string, string>, robot: boolean): Promise<DeliveryOutcome> {
  const doFetch = deps.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
      redirect: 'error',
    });
  } catch (err) {
    return { delivered: false, retryable: true, error: `no answer: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500) };
  }
  const text = (await res.text().catch(() => '')).slice(0, 2000);
  if (!res.ok) return { delivered: false, retryable: retryableStatus(res.status), status: res.status, error: `HTTP ${res.status}: ${text.slice(0, 300)}` };
  if (!robot) return { delivered: true, status: res.status };
  // the robots answer 200 with {errcode, errmsg}: 0 is delivered
  let answer: { errcode?: unknown; errmsg?: unknown };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    return { delivered: false, retryable: true, status: res.status, error: `not a robot's answer: ${text.slice(0, 300)}` };
  }
  if (answer.errcode === 0) return { delivered: true, status: res.status };
  const code = Number(answer.errcode);
  return { delivered: false, retryable: ROBOT_RATE_LIMITED.has(code), status: res.status, error: `errcode ${String(answer.errcode)}: ${String(answer.errmsg ?? '').slice(0, 300)}` };
}

/** The message as an e-mail: a subject with its kind, the body, and the link to the case (UTF-8 throughout). */
export function emailOf(message: ChannelMessage) {
  const lines = [message.body];
  if (message.recipient) lines.unshift(`${message.recipient.name}：`, '');
  if (message.caseUrl) lines.push('', `查看案件：${message.caseUrl}`);
  lines.push('', '——脱贫退出与成效考核系统（本邮件由系统自动发送）');
  return { subject: `【${KIND_LABEL[message.kind]}】${message.title}`, text: lines.join('\n') };
}

/** An SMTP reply code (nodemailer's `responseCode`): 4xx is temporary, 5xx permanent. */
const smtpCode = (err: unknown): number | undefined => {
  const code = (err as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' ? code : undefined;
};

/** One SMTP transaction; the Message-ID follows from the dedupe key, so a resent copy is recognisably the same mail. */
async function sendMail(deps: ChannelDeps, address: string, message: ChannelMessage): Promise<DeliveryOutcome> {
  if (!deps.mail) return { delivered: false, retryable: false, error: 'no SMTP server is configured' };
  const { subject, text } = emailOf(message);
  const id = createHash('sha256').update(message.dedupeKey).digest('hex').slice(0, 32);
  try {
    await deps.mail.transport.sendMail({
      from: deps.mail.from,
      to: address,
      subject,
      text,
      messageId: `<${id}@fupin.notifications>`,
      headers: { 'X-Fupin-Dedupe-Key': message.dedupeKey },
    });
    return { delivered: true, status: 250 };
  } catch (err) {
    const code = smtpCode(err);
    const error = `${code ? `SMTP ${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`.slice(0, 500);
    return { delivered: false, retryable: code === undefined || code < 500, ...(code ? { status: code } : {}), error };
  }
}

/** Sends one message to one target. */
export async function deliver(target: ChannelTarget, message: ChannelMessage, deps: ChannelDeps = {}): Promise<DeliveryOutcome> {
  const now = (deps.now ?? Date.now)();
  switch (target.channel) {
    case 'wecom':
      return post(deps, target.webhookUrl, JSON.stringify(weComBody(message)), {}, true);
    case 'dingtalk': {
      const url = target.secret ? dingTalkSignedUrl(target.webhookUrl, target.secret, now) : target.webhookUrl;
      return post(deps, url, JSON.stringify(dingTalkBody(message)), {}, true);
    }
    case 'webhook': {
      const body = JSON.stringify(webhookPayload(message, now));
      return post(
        deps,
        target.url,
        body,
        {
          [WEBHOOK_HEADERS.signature]: webhookSignature(target.secret, now, body),
          [WEBHOOK_HEADERS.timestamp]: String(now),
          [WEBHOOK_HEADERS.idempotencyKey]: message.dedupeKey,
        },
        false,
      );
    }
    case 'email':
      return sendMail(deps, target.address, message);
  }
}

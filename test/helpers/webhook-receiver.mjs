#!/usr/bin/env node
// A webhook receiver as MLflow's documentation tells its users to write one, run as its own process by the
// tests: it requires X-MLflow-Signature, X-MLflow-Delivery-Id and X-MLflow-Timestamp, rejects a timestamp
// older than 5 minutes (or in the future), recomputes base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}"))
// over the raw body and compares it in constant time; then it records the delivery, one JSON line each.
//
//   node webhook-receiver.mjs --log FILE [--secret S] [--fail N] [--fail-status 500] [--retry-after S]
//                             [--delay MS] [--status 200]
// Prints `listening <port>` on stdout. --fail N answers the first N deliveries with --fail-status (they are
// logged with "accepted": false); --delay waits before answering.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import http from 'node:http';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const log = arg('log');
const secret = arg('secret');
let failLeft = Number(arg('fail', '0'));
const failStatus = Number(arg('fail-status', '500'));
const retryAfter = arg('retry-after');
const delay = Number(arg('delay', '0'));
const okStatus = Number(arg('status', '200'));
const MAX_TIMESTAMP_AGE = 300;

function verifyTimestampFreshness(ts) {
  const t = Number.parseInt(ts, 10);
  if (!Number.isFinite(t) || String(t) !== ts) return false;
  const age = Math.floor(Date.now() / 1000) - t;
  return age >= 0 && age <= MAX_TIMESTAMP_AGE;
}

function verifySignature(payload, signature, deliveryId, timestamp) {
  if (!signature.startsWith('v1,')) return false;
  const given = Buffer.from(signature.slice(3), 'utf8');
  const expected = Buffer.from(
    createHmac('sha256', secret).update(`${deliveryId}.${timestamp}.${payload}`, 'utf8').digest('base64'),
    'utf8',
  );
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const payload = Buffer.concat(chunks).toString('utf8');
    const id = req.headers['x-mlflow-delivery-id'];
    const ts = req.headers['x-mlflow-timestamp'];
    const sig = req.headers['x-mlflow-signature'];
    const answer = (status, body) => {
      const send = () => {
        const headers = { 'Content-Type': 'application/json' };
        if (status === 429 || status >= 500) if (retryAfter !== undefined) headers['Retry-After'] = retryAfter;
        res.writeHead(status, headers);
        res.end(JSON.stringify(body));
      };
      if (delay > 0) setTimeout(send, delay);
      else send();
    };
    const record = (extra) => {
      let parsed = null;
      try {
        parsed = JSON.parse(payload);
      } catch {
        // recorded as null
      }
      appendFileSync(
        log,
        JSON.stringify({ delivery_id: id ?? null, timestamp: ts ?? null, signed: !!sig, body: parsed, ...extra }) +
          '\n',
      );
    };
    if (req.method !== 'POST') return answer(405, { detail: 'POST only' });
    if (secret !== undefined) {
      if (!sig || !id || !ts) {
        record({ accepted: false, reason: 'missing headers' });
        return answer(400, { detail: 'Missing signature, delivery id or timestamp header' });
      }
      if (!verifyTimestampFreshness(ts)) {
        record({ accepted: false, reason: 'stale timestamp' });
        return answer(400, { detail: 'Timestamp is too old or invalid' });
      }
      if (!verifySignature(payload, sig, id, ts)) {
        record({ accepted: false, reason: 'bad signature' });
        return answer(401, { detail: 'Invalid signature' });
      }
    }
    if (failLeft > 0) {
      failLeft--;
      record({ accepted: false, reason: `answered ${failStatus}` });
      return answer(failStatus, { detail: 'failing on purpose' });
    }
    record({ accepted: true, status: okStatus });
    answer(okStatus, { status: 'success' });
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

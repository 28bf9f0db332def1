// A webhook receiver that verifies every delivery with the official
// implementations: svix's Webhook.verify and @clerk/backend's
// verifyWebhook. Usage: node webhooks.mjs <port>; then
//   POST /secret (body: the whsec_ secret)    which secret to verify with
//   POST /fail   (body: n)                    answer 500 to the next n deliveries
//   POST /hook                                a delivery
//   GET  /events                              what was received, as JSON
import http from 'node:http';
import { Webhook } from 'svix';
import { verifyWebhook } from '@clerk/backend/webhooks';

const port = Number(process.argv[2]);
let secret = '';
let failing = 0;
const events = [];

const body = (req) => new Promise((resolve) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
});

http.createServer(async (req, res) => {
  const text = await body(req);
  if (req.url === '/secret') { secret = text; res.end('ok'); return; }
  if (req.url === '/fail') { failing = Number(text); res.end('ok'); return; }
  if (req.url === '/events') { res.setHeader('Content-Type', 'application/json'); res.end(JSON.stringify(events)); return; }
  if (req.url !== '/hook') { res.statusCode = 404; res.end(); return; }
  const headers = { 'svix-id': req.headers['svix-id'], 'svix-timestamp': req.headers['svix-timestamp'], 'svix-signature': req.headers['svix-signature'] };
  let bySvix = false, byClerk = false;
  try { new Webhook(secret).verify(text, headers); bySvix = true; } catch (e) { /* recorded below */ }
  try {
    const evt = await verifyWebhook(new Request('http://receiver.test/hook', { method: 'POST', headers, body: text }), { signingSecret: secret });
    byClerk = !!evt.type;
  } catch (e) { /* recorded below */ }
  const parsed = JSON.parse(text);
  const record = { id: headers['svix-id'], type: parsed.type, data: parsed.data, object: parsed.object, instance_id: parsed.instance_id,
    timestamp: parsed.timestamp, bySvix, byClerk, refused: failing > 0 };
  events.push(record);
  if (failing > 0) { failing--; res.statusCode = 500; res.end('down'); return; }
  res.statusCode = bySvix && byClerk ? 200 : 400;
  res.end(bySvix && byClerk ? 'verified' : 'signature refused');
}).listen(port, '127.0.0.1', () => console.log('listening ' + port));

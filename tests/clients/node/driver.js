// Drives Meta's Node SDK (npm `whatsapp@0.0.5-Alpha`) for tests/clients/test_node_sdk.py.
// One JSON command per stdin line, one JSON answer per stdout line. Configuration comes from the SDK's
// own environment variables (WA_BASE_URL, CLOUD_API_*, WEBHOOK_*, LISTENER_PORT, M4D_APP_SECRET).
"use strict";
// Answers go to stdout behind a marker; the SDK's own logging goes to stderr.
const MARK = "@@driver ";
console.log = (...args) => process.stderr.write(args.map(String).join(" ") + "\n");
const http = require("http");
const readline = require("readline");

// SDK gap: its webhook listener calls listen(port) with no host, i.e. on every interface; keep it on loopback.
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (port, ...rest) {
  return typeof port === "number" && rest.length === 0 ? listen.call(this, port, "127.0.0.1") : listen.call(this, port, ...rest);
};
// SDK bug: the webhook handler does `bodyBuf = bodyBuf + chunk` (a string) then `Buffer.concat(bodyBuf)`,
// which throws "The list argument must be an instance of Array" on every POST. Accept the string it built.
const concat = Buffer.concat;
Buffer.concat = function (list, total) {
  return typeof list === "string" ? Buffer.from(list, "utf8") : concat.call(Buffer, list, total);
};

const WhatsApp = require(process.env.WA_SDK_PATH);
const wa = new WhatsApp(Number(process.env.WA_PHONE_NUMBER_ID));
// SDK gap: the transport is https on port 443 only; the test runs a TLS terminator on another port.
wa.requester.port = Number(process.env.WA_TLS_PORT);

const events = [];
wa.webhooks.start((status, headers, body, res, error) => {
  events.push({status, body: body || null, error: error ? String(error.message || error) : null});
  if (res) { res.writeHead(200); res.end(); }
});

async function answer(resp) {
  return {status: resp.statusCode(), headers: resp.headers(), body: await resp.responseBodyToJSON()};
}
const ops = {
  text: c => wa.messages.text({body: c.body}, c.to, c.reply_to),
  template: c => wa.messages.template(c.template, c.to),
  interactive: c => wa.messages.interactive(c.interactive, c.to),
  location: c => wa.messages.location(c.location, c.to),
  read: c => wa.messages.status({status: "read", message_id: c.message_id}),
};

const rl = readline.createInterface({input: process.stdin});
rl.on("line", async line => {
  const cmd = JSON.parse(line);
  let out;
  try {
    if (cmd.op === "events") out = {events};
    else if (cmd.op === "ready") out = {listening: wa.webhooks.server != null};
    else out = await answer(await ops[cmd.op](cmd));
  } catch (err) {
    out = {exception: String(err && err.stack || err)};
  }
  process.stdout.write(MARK + JSON.stringify(out) + "\n");
});
rl.on("close", () => { wa.webhooks.stop(() => process.exit(0)); setTimeout(() => process.exit(0), 500); });

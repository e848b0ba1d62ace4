// A simulator written in Node.js: it asks a bbo server for points, evaluates the Branin
// function, tells the results, and prints a JSON summary. It uses only the wire contract
// (proto/bbo/api/v1/optimizer.proto) through @grpc/grpc-js and @grpc/proto-loader.
//
//   node simulator.js HOST:PORT [STUDY] [EVALUATIONS]
//   BBO_TOKEN=...   bearer token, when the server wants one (never on the command line)
"use strict";

const path = require("path");
const crypto = require("crypto");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const PROTO = path.join(__dirname, "..", "..", "proto", "bbo", "api", "v1", "optimizer.proto");
const definition = protoLoader.loadSync(PROTO, {
  keepCase: true, // field names as in the .proto: lease_seconds, trial_id ...
  longs: Number, // int64 ids as JS numbers
  enums: String, // "TRIAL_STATE_COMPLETED"
  defaults: true,
  oneofs: true, // Scalar.kind names the set field
});
const bbo = grpc.loadPackageDefinition(definition).bbo.v1;

const [target = "127.0.0.1:50051", studyName = "node-branin", evals = "20"] = process.argv.slice(2);
const client = new bbo.Optimizer(target, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
if (process.env.BBO_TOKEN) metadata.set("authorization", `Bearer ${process.env.BBO_TOKEN}`);

// Promise wrapper; retries UNAVAILABLE, which Ask (client_id) and Tell (request_id) allow.
function call(method, request, attempt = 0) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline: Date.now() + 30000 }, (err, res) => {
      if (!err) return resolve(res);
      if (err.code === grpc.status.UNAVAILABLE && attempt < 8) {
        return setTimeout(() => call(method, request, attempt + 1).then(resolve, reject), 100 * 2 ** attempt);
      }
      reject(err);
    });
  });
}

const scalar = (s) => s[s.kind]; // Scalar -> JS value

function branin(x, y) {
  const b = 5.1 / (4 * Math.PI ** 2), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
  return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * Math.cos(x) + 10;
}

async function main() {
  const created = await call("CreateStudy", {
    name: studyName,
    spec: {
      space: [
        { name: "x", float_param: { low: -5, high: 10 } },
        { name: "y", float_param: { low: 0, high: 15 } },
      ],
      objectives: [{ name: "value", direction: "DIRECTION_MINIMIZE" }],
      strategy: "random",
      seed: 7,
    },
  });
  const clientId = `node-${process.pid}-${crypto.randomUUID()}`;
  let told = 0;
  for (let i = 0; i < Number(evals); i++) {
    const { trials } = await call("Ask", { study: studyName, count: 1, client_id: clientId, lease_seconds: 60 });
    const trial = trials[0];
    const x = scalar(trial.params.x), y = scalar(trial.params.y);
    await call("Heartbeat", { study: studyName, trial_ids: [trial.id], lease_seconds: 60 });
    const request = { study: studyName, trial_id: trial.id, request_id: crypto.randomUUID(), value: branin(x, y) };
    const first = await call("Tell", request);
    const again = await call("Tell", request); // a retried tell: the same answer
    if (again.trial.value !== first.trial.value) throw new Error("a retried tell changed the result");
    told++;
  }
  // errors are status codes: a NaN result is INVALID_ARGUMENT, an unknown study NOT_FOUND
  const { trials } = await call("Ask", { study: studyName, count: 1, client_id: `${clientId}-x` });
  const codes = {};
  for (const [name, req] of [
    ["nan", { study: studyName, trial_id: trials[0].id, request_id: "nan", value: NaN }],
    ["unknown_study", { study: "no-such-study", trial_id: 0, request_id: "u", value: 1 }],
  ]) {
    try {
      await call("Tell", req);
      codes[name] = "OK";
    } catch (err) {
      codes[name] = grpc.status[err.code];
    }
  }
  await call("Tell", { study: studyName, trial_id: trials[0].id, failed: true, reason: "node demo" });
  const listed = await call("ListTrials", { study: studyName, page_size: 1000 });
  const best = await call("GetBest", { study: studyName });
  console.log(JSON.stringify({
    created: created.created,
    told,
    trials: listed.trials.length,
    completed: listed.trials.filter((t) => t.state === "TRIAL_STATE_COMPLETED").length,
    best: { id: best.trials[0].id, value: best.trials[0].value },
    codes,
  }));
  client.close();
}

main().catch((err) => {
  console.error(`simulator failed: ${err.code !== undefined ? grpc.status[err.code] : ""} ${err.message}`);
  process.exit(1);
});

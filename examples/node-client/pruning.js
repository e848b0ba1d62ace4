// Stop bad training runs early, from Node.js: each trial "trains" for up to 27 epochs,
// reports its validation loss after every epoch (the Report RPC), and stops as soon as the
// study's pruner (ASHA here) answers should_prune, telling the trial `pruned` (the server
// keeps its last reported loss as its value). Uses only the wire contract
// (proto/bbo/api/v1/optimizer.proto) through @grpc/grpc-js and @grpc/proto-loader; see
// docs/pruning.md for the pruners and docs/grpc.md for the calls.
//
//   node pruning.js HOST:PORT [STUDY] [TRIALS]
//   BBO_TOKEN=...   bearer token, when the server wants one (never on the command line)
"use strict";

const path = require("path");
const crypto = require("crypto");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const PROTO = path.join(__dirname, "..", "..", "proto", "bbo", "api", "v1", "optimizer.proto");
const definition = protoLoader.loadSync(PROTO, {
  keepCase: true, // field names as in the .proto: trial_id, should_prune ...
  longs: Number, // int64 ids and steps as JS numbers
  enums: String, // "TRIAL_STATE_PRUNED"
  defaults: true,
  oneofs: true, // Scalar.kind names the set field
});
const bbo = grpc.loadPackageDefinition(definition).bbo.v1;

const [target = "127.0.0.1:50051", studyName = "node-pruning", count = "20"] = process.argv.slice(2);
const EPOCHS = 27;
const client = new bbo.Optimizer(target, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
if (process.env.BBO_TOKEN) metadata.set("authorization", `Bearer ${process.env.BBO_TOKEN}`);

// Promise wrapper; retries UNAVAILABLE, which Ask (client_id), Tell (request_id) and Report
// (idempotent: the same trial, step and value store one report) allow.
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

// A plain JS object as a google.protobuf.Struct (StudySpec.pruner is one). proto-loader
// takes the well-known types from protobufjs, whose field names stay camelCase
// (stringValue, numberValue) whatever keepCase says.
function struct(obj) {
  const value = (v) =>
    typeof v === "string" ? { stringValue: v }
      : typeof v === "number" ? { numberValue: v }
        : typeof v === "boolean" ? { boolValue: v }
          : { nullValue: "NULL_VALUE" };
  return { fields: Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, value(v)])) };
}

const scalar = (s) => s[s.kind]; // Scalar -> JS value

// One epoch of "training": the loss falls with the epochs, towards (lr - 0.3)^2.
const loss = (lr, epoch) => (lr - 0.3) ** 2 + 1 / epoch;

async function code(method, request) {
  try {
    await call(method, request);
    return "OK";
  } catch (err) {
    return grpc.status[err.code];
  }
}

async function main() {
  const created = await call("CreateStudy", {
    name: studyName,
    spec: {
      space: [{ name: "lr", float_param: { low: 0, high: 1 } }],
      objectives: [{ name: "loss", direction: "DIRECTION_MINIMIZE" }],
      strategy: "random",
      seed: 7,
      pruner: struct({ name: "asha", min_resource: 1, reduction_factor: 3 }),
    },
  });
  const clientId = `node-${process.pid}-${crypto.randomUUID()}`;
  let epochs = 0, pruned = 0, completed = 0;
  for (let i = 0; i < Number(count); i++) {
    const { trials } = await call("Ask", { study: studyName, count: 1, client_id: clientId, lease_seconds: 60 });
    const trial = trials[0];
    const lr = scalar(trial.params.lr);
    let stopped = false;
    for (let epoch = 1; epoch <= EPOCHS; epoch++) {
      epochs++;
      const report = { study: studyName, trial_id: trial.id, step: epoch, value: loss(lr, epoch), request_id: crypto.randomUUID() };
      const answer = await call("Report", report);
      if (answer.should_prune) {
        // stop training; the server keeps the last reported loss as the trial's value
        const told = await call("Tell", { study: studyName, trial_id: trial.id, request_id: crypto.randomUUID(), pruned: true });
        if (told.trial.state !== "TRIAL_STATE_PRUNED" || told.trial.value !== report.value) {
          throw new Error("a pruned tell did not keep the last report");
        }
        pruned++;
        stopped = true;
        break;
      }
    }
    if (!stopped) {
      await call("Tell", { study: studyName, trial_id: trial.id, request_id: crypto.randomUUID(), value: loss(lr, EPOCHS) });
      completed++;
    }
  }
  // a retried report is answered with the stored report; bad reports are status codes
  const { trials } = await call("Ask", { study: studyName, count: 1, client_id: `${clientId}-x` });
  const id = trials[0].id;
  const first = await call("Report", { study: studyName, trial_id: id, step: 5, value: 0.5, request_id: "r" });
  const again = await call("Report", { study: studyName, trial_id: id, step: 5, value: 0.5, request_id: "r" });
  if (again.report.seq !== first.report.seq) throw new Error("a retried report was stored twice");
  const codes = {
    nan: await code("Report", { study: studyName, trial_id: id, step: 6, value: NaN }),
    backwards: await code("Report", { study: studyName, trial_id: id, step: 4, value: 0.5 }),
    unknown_trial: await code("Report", { study: studyName, trial_id: 100000, step: 1, value: 0.5 }),
  };
  await call("Tell", { study: studyName, trial_id: id, failed: true, reason: "node demo" });
  codes.finished = await code("Report", { study: studyName, trial_id: id, step: 7, value: 0.5 });
  const best = await call("GetBest", { study: studyName });
  console.log(JSON.stringify({
    created: created.created,
    pruner: created.study.spec.pruner.fields.name.stringValue,
    pruned,
    completed,
    epochs,
    full_budget_epochs: Number(count) * EPOCHS,
    best: { id: best.trials[0].id, value: best.trials[0].value },
    codes,
  }));
  client.close();
}

main().catch((err) => {
  console.error(`pruning failed: ${err.code !== undefined ? grpc.status[err.code] : ""} ${err.message}`);
  process.exit(1);
});

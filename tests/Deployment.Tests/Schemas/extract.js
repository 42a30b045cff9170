// Writes the JSON schemas of the Kubernetes kinds the manifests use out of the npm packages that hold them
// (kubernetes-models, @kubernetes-models/apimachinery, @kubernetes-models/keda), as one file each with every
// definition a kind reaches under $defs, references rewritten to "#/$defs/<id>". Nothing of the packages runs but
// their schema modules: their own validate/base modules are replaced by the two stubs below, which only collect.
//   npm pack kubernetes-models@3.1.0 @kubernetes-models/apimachinery@1.2.1 @kubernetes-models/keda@0.3.1
//   (unpack each into a folder of its name) then
//   node extract.js <kubernetes-models dir> <apimachinery dir> <keda dir> <output dir>
"use strict";
const Module = require("module");
const path = require("path");
const fs = require("fs");
const [models, apimachinery, keda, out] = process.argv.slice(2).map(p => path.resolve(p));

const registered = new Map();
const setters = new Map();
const stubs = {
  "@kubernetes-models/validate": { register: (id, schema) => registered.set(id, schema) },
  "@kubernetes-models/base": {
    Model: class {},
    createTypeMetaGuard: () => () => false,
    setSchema: (model, id, add) => setters.set(id, add),
  },
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (stubs[request]) return request;
  if (request.startsWith("@kubernetes-models/apimachinery/")) request = path.join(apimachinery, request.slice(32));
  return resolve.call(this, request, ...rest);
};
for (const [name, exports] of Object.entries(stubs)) {
  const m = new Module(name);
  m.exports = exports;
  m.loaded = true;
  Module._cache[name] = m;
}

const kinds = {
  "io.k8s.api.apps.v1.Deployment": path.join(models, "_schemas/IoK8sApiAppsV1Deployment.js"),
  "io.k8s.api.core.v1.Service": path.join(models, "_schemas/IoK8sApiCoreV1Service.js"),
  "io.k8s.api.core.v1.ConfigMap": path.join(models, "_schemas/IoK8sApiCoreV1ConfigMap.js"),
  "io.k8s.api.core.v1.Secret": path.join(models, "_schemas/IoK8sApiCoreV1Secret.js"),
  "io.k8s.api.core.v1.Namespace": path.join(models, "_schemas/IoK8sApiCoreV1Namespace.js"),
  "io.k8s.api.networking.v1.Ingress": path.join(models, "_schemas/IoK8sApiNetworkingV1Ingress.js"),
  "io.k8s.api.policy.v1.PodDisruptionBudget": path.join(models, "_schemas/IoK8sApiPolicyV1PodDisruptionBudget.js"),
  "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler": path.join(models, "_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler.js"),
  "keda.sh.v1alpha1.ScaledObject": path.join(keda, "keda.sh/v1alpha1/ScaledObject.js"),
  "keda.sh.v1alpha1.TriggerAuthentication": path.join(keda, "keda.sh/v1alpha1/TriggerAuthentication.js"),
};

const rewrite = node => {
  if (Array.isArray(node)) return node.map(rewrite);
  if (node && typeof node === "object") {
    const copy = {};
    for (const [k, v] of Object.entries(node)) copy[k] = k === "$ref" ? `#/$defs/${v.replace(/#$/, "")}` : rewrite(v);
    return copy;
  }
  return node;
};
const reached = (id, seen) => {
  if (seen.has(id)) return;
  if (!registered.has(id)) throw new Error(`no schema registered for ${id}`);
  seen.add(id);
  JSON.stringify(registered.get(id), (k, v) => { if (k === "$ref") reached(v.replace(/#$/, ""), seen); return v; });
};

fs.mkdirSync(out, { recursive: true });
for (const [id, file] of Object.entries(kinds)) {
  const exports = require(file);
  if (exports.addSchema) exports.addSchema();
  else setters.get(id)();
  const seen = new Set();
  reached(id, seen);
  const defs = {};
  for (const d of [...seen].sort()) defs[d] = rewrite(registered.get(d));
  const schema = { $schema: "https://json-schema.org/draft/2020-12/schema", $ref: `#/$defs/${id}`, $defs: defs };
  fs.writeFileSync(path.join(out, `${id}.json`), JSON.stringify(schema, null, 1) + "\n");
  console.log(`${id}: ${seen.size} definitions`);
}

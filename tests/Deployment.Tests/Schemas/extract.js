// Writes the JSON schemas of the Kubernetes kinds the manifests use, one file each with every definition a kind reaches
// under $defs, references rewritten to "#/$defs/<id>":
// - the built-in and KEDA kinds out of the npm packages that hold them (kubernetes-models, @kubernetes-models/apimachinery,
//   @kubernetes-models/keda). Nothing of the packages runs but their schema modules: their own validate/base modules are
//   replaced by the two stubs below, which only collect.
// - the operators' kinds out of their CustomResourceDefinitions, vendored verbatim in crds/ beside this file (see the
//   README): the openAPIV3Schema of the version the manifests use, made the strict JSON schema Kubernetes applies to it
//   (convertCrd below says how), metadata the apimachinery ObjectMeta the KEDA kinds use.
//   npm pack kubernetes-models@3.1.0 @kubernetes-models/apimachinery@1.2.1 @kubernetes-models/keda@0.3.1 js-yaml@4.1.0
//   (unpack each into a folder of its name) then
//   node extract.js <kubernetes-models dir> <apimachinery dir> <keda dir> <js-yaml dir> <output dir>
"use strict";
const Module = require("module");
const path = require("path");
const fs = require("fs");
const [models, apimachinery, keda, jsYaml, out] = process.argv.slice(2).map(p => path.resolve(p));

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

// The operators' kinds: file in crds/, and the version of the CRD the manifests use.
const crds = [
  { file: "rabbitmq.com_rabbitmqclusters.yaml", version: "v1beta1" },
  { file: "postgresql.cnpg.io_clusters.yaml", version: "v1" },
  { file: "databases.spotahome.com_redisfailovers.yaml", version: "v1" },
];
const objectMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const metaRef = { $ref: `#/$defs/${objectMeta}` };

// A CRD's structural schema as the JSON schema Kubernetes applies to an object (apiextensions.k8s.io/v1):
// - validation keywords are kept as they are (type, properties, items, required, enum, pattern, bounds, anyOf...);
// - an object with neither additionalProperties nor x-kubernetes-preserve-unknown-fields: true gets
//   additionalProperties: false: Kubernetes prunes (or, with strict field validation, refuses) a field its schema does
//   not name, so here an unknown field fails. With preserve-unknown-fields (kept, SchemaValidator reads it) any field goes;
// - x-kubernetes-int-or-string: true is anyOf integer or string (the CRDs spell the anyOf out as well);
// - x-kubernetes-embedded-resource: true adds apiVersion, kind and metadata (ObjectMeta), as Kubernetes does;
// - nullable: true adds "null" to the type;
// - what does not validate a field's shape is dropped: description, default, the x-kubernetes-list-*/map-type merge
//   hints and x-kubernetes-validations (CEL rules, which no JSON schema can express: not checked here);
// - any other keyword stops the extraction, so that nothing is dropped unseen.
const kept = new Set(["type", "properties", "additionalProperties", "items", "required", "enum", "format", "pattern",
  "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
  "uniqueItems", "multipleOf", "minProperties", "maxProperties", "anyOf", "allOf", "oneOf", "not",
  "x-kubernetes-preserve-unknown-fields"]);
const dropped = new Set(["description", "default", "example", "externalDocs", "x-kubernetes-validations",
  "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-int-or-string",
  "x-kubernetes-embedded-resource", "nullable"]);
const convertCrd = (node, at) => {
  const copy = {};
  for (const [k, v] of Object.entries(node)) {
    if (dropped.has(k)) continue;
    if (!kept.has(k)) throw new Error(`${at}: keyword ${k} is not handled`);
    if (k === "properties") copy.properties = Object.fromEntries(Object.entries(v).map(([n, c]) => [n, convertCrd(c, `${at}/${n}`)]));
    else if (k === "items" || k === "not" || (k === "additionalProperties" && typeof v === "object")) copy[k] = convertCrd(v, `${at}/${k}`);
    else if (k === "anyOf" || k === "allOf" || k === "oneOf") copy[k] = v.map((c, i) => convertCrd(c, `${at}/${k}/${i}`));
    else copy[k] = v;
  }
  if (node["x-kubernetes-int-or-string"] === true && !node.anyOf) copy.anyOf = [{ type: "integer" }, { type: "string" }];
  if (node["x-kubernetes-embedded-resource"] === true)
    copy.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, ...copy.properties, metadata: metaRef };
  if (node.nullable === true && typeof copy.type === "string") copy.type = [copy.type, "null"];
  if (copy.type === "object" && !("additionalProperties" in node) && node["x-kubernetes-preserve-unknown-fields"] !== true)
    copy.additionalProperties = false;
  return copy;
};

const yaml = require(jsYaml);
for (const { file, version } of crds) {
  const crd = yaml.loadAll(fs.readFileSync(path.join(__dirname, "crds", file), "utf8")).find(d => d && d.kind === "CustomResourceDefinition");
  const { group, names: { kind } } = crd.spec;
  const served = crd.spec.versions.find(v => v.name === version);
  if (!served) throw new Error(`${file}: no version ${version}`);
  const id = `${group}.${version}.${kind}`;
  const root = convertCrd(served.schema.openAPIV3Schema, id);
  root.properties.apiVersion = { type: "string", enum: [`${group}/${version}`] };
  root.properties.kind = { type: "string", enum: [kind] };
  root.properties.metadata = metaRef;
  const seen = new Set();
  reached(objectMeta, seen);
  const defs = {};
  for (const d of [...seen, id].sort()) defs[d] = d === id ? root : rewrite(registered.get(d));
  const schema = { $schema: "https://json-schema.org/draft/2020-12/schema", $ref: `#/$defs/${id}`, $defs: defs };
  fs.writeFileSync(path.join(out, `${id}.json`), JSON.stringify(schema, null, 1) + "\n");
  console.log(`${id}: ${seen.size + 1} definitions (from crds/${file}, version ${version})`);
}

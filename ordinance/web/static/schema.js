// Fields of the case form, read from the case JSON Schema (GET /v1/schema/case) and labelled with the
// policy's bilingual fact labels (GET /v1/policies/{id} "facts") where it gives them.

const STRUCTURAL = new Set(["id", "measure", "date", "project", "note"]);

/** The non-null branch of a nullable property, and whether null is allowed. */
function unwrap(prop) {
  if (prop && Array.isArray(prop.anyOf)) {
    const others = prop.anyOf.filter((b) => !(b && b.type === "null"));
    if (others.length === 1) return { inner: others[0], nullable: others.length !== prop.anyOf.length };
    return { inner: { anyOf: others }, nullable: others.length !== prop.anyOf.length };
  }
  return { inner: prop || {}, nullable: false };
}

function looksLikeMoney(p) {
  const s = JSON.stringify(p);
  return s.includes("萬") || s.includes("yuan");
}

/** The kind of input a schema property needs: money, bool, enum, date, number, rate, duration, list, text. */
export function kindOf(prop, declared) {
  if (declared) {
    const ty = String(declared);
    if (ty === "money" || ty === "bool" || ty === "date" || ty === "number" || ty === "rate" || ty === "duration") return ty;
    if (ty.startsWith("enum")) return "enum";
    if (ty.startsWith("list")) return "list";
    if (ty === "string" || ty === "text") return "text";
  }
  const { inner } = unwrap(prop);
  if (inner.enum) return "enum";
  if (inner.type === "boolean") return "bool";
  if (inner.type === "array") return "list";
  if (inner.format === "date") return "date";
  if (inner.anyOf && looksLikeMoney(inner)) return "money";
  const desc = String((prop && prop.description) || "");
  if (/\(money\)\s*$/.test(desc)) return "money";
  if (/\(rate\)\s*$/.test(desc)) return "rate";
  if (/\(duration\)\s*$/.test(desc)) return "duration";
  if (inner.type === "number" || inner.type === "integer") return "number";
  return "text";
}

function enumValues(prop, declared) {
  if (declared && Array.isArray(declared.values) && declared.values.length) return declared.values;
  const { inner } = unwrap(prop);
  return inner.enum || [];
}

/** "annual operating revenue (money)" -> "annual operating revenue". */
function stripType(desc) {
  return String(desc || "").replace(/\s*\((money|bool|rate|number|date|duration|string|text|list of [^)]*|enum [^)]*)\)\s*$/, "")
    .replace(/\s*\(enum \{[^}]*\}\)\s*$/, "");
}

function factIndex(policy) {
  const index = new Map();
  for (const f of (policy && policy.facts) || []) if (f && f.name) index.set(f.name, f);
  return index;
}

function makeField(key, prop, declared) {
  const kind = kindOf(prop, declared && declared.type);
  let label = declared && (declared.label || (declared.zh || declared.en ? { zh: declared.zh, en: declared.en } : null));
  if (!label || (!label.zh && !label.en)) {
    label = { zh: prop.title || stripType(prop.description) || key, en: stripType(prop.description) || prop.title || key };
  }
  return {
    key,
    kind,
    label,
    values: kind === "enum" ? enumValues(prop, declared) : null,
    unit: (declared && declared.unit) || null,
    description: prop.description || "",
  };
}

/** The applicant's fields: [{key, kind, label: {zh, en}, values?, unit?}]. */
export function applicantFields(schema, policy) {
  const props = (((schema || {}).properties || {}).applicant || {}).properties || {};
  const facts = factIndex(policy);
  const out = [];
  for (const [key, prop] of Object.entries(props)) {
    if (key === "id" || key === "name") continue;
    out.push(makeField(key, prop, facts.get(`applicant.${key}`)));
  }
  return out;
}

/** Per measure id, the claim's own facts (without id/measure/date/project/note). */
export function claimFieldsByMeasure(schema, policy) {
  const items = ((((schema || {}).properties || {}).claims || {}).items) || {};
  const facts = factIndex(policy);
  const out = new Map();
  const measures = (items.properties && items.properties.measure && items.properties.measure.enum) || [];
  for (const m of measures) out.set(m, []);
  for (const rule of items.allOf || []) {
    const measure = rule && rule.if && rule.if.properties && rule.if.properties.measure && rule.if.properties.measure.const;
    if (!measure) continue;
    const props = (rule.then && rule.then.properties) || {};
    const fields = [];
    for (const [key, prop] of Object.entries(props)) {
      if (STRUCTURAL.has(key)) continue;
      fields.push(makeField(key, prop, facts.get(`claim.${key}`)));
    }
    out.set(measure, fields);
  }
  return out;
}

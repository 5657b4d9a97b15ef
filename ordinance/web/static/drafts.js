// Drafts kept in the browser: the Draft view's edited files, in localStorage, one draft per policy and
// version — under "ordinance.draft.<policy id>@<digest>", the digest of the policy the edits were made
// against — with when it was last kept. The server never writes rule files; this copy keeps a draft
// across a reload, a closed tab or a switch to another policy, until it is downloaded and put in place,
// or discarded. A draft made against an earlier version of a policy is never overwritten by edits to
// the current one: the Draft view offers it, to restore or to discard.

const PREFIX = "ordinance.draft.";

function key(policyId, digest) {
  return `${PREFIX}${policyId}@${digest}`;
}

function parse(raw, digest) {
  try {
    const draft = JSON.parse(raw);
    if (!draft || typeof draft !== "object" || !draft.files || typeof draft.files !== "object") return null;
    const files = Object.entries(draft.files).filter(([, text]) => typeof text === "string");
    return files.length ? { digest, saved: draft.saved || null, files: Object.fromEntries(files) } : null;
  } catch {
    return null;
  }
}

/** The draft kept for this version of the policy: {digest, saved, files: {path: text}}, or null. */
export function readDraft(policyId, digest) {
  let raw = null;
  try { raw = window.localStorage.getItem(key(policyId, digest)); } catch { return null; }
  return raw ? parse(raw, digest) : null;
}

/** The drafts kept for other versions of the policy, the most recent first. */
export function otherDrafts(policyId, digest) {
  const out = [];
  try {
    const store = window.localStorage;
    for (let i = 0; i < store.length; i += 1) {
      const k = store.key(i);
      if (!k || !k.startsWith(`${PREFIX}${policyId}@`) || k === key(policyId, digest)) continue;
      const draft = parse(store.getItem(k), k.slice(`${PREFIX}${policyId}@`.length));
      if (draft) out.push(draft);
    }
  } catch {
    return [];
  }
  return out.sort((a, b) => String(b.saved).localeCompare(String(a.saved)));
}

/** Keep `edits` (a Map path -> text) as the draft of this version of the policy; no edits removes it.
 * False when the browser refused (its storage full or turned off). */
export function writeDraft(policyId, digest, edits) {
  try {
    if (!edits.size) window.localStorage.removeItem(key(policyId, digest));
    else {
      window.localStorage.setItem(key(policyId, digest), JSON.stringify({
        saved: new Date().toISOString(), files: Object.fromEntries(edits) }));
    }
    return true;
  } catch {
    return false;
  }
}

export function dropDraft(policyId, digest) {
  try { window.localStorage.removeItem(key(policyId, digest)); } catch { /* nothing was kept */ }
}

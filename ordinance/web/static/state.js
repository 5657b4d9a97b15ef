// The page's shared state: the policy in use, its case schema, the Draft view's edited files and
// the draft kept in the browser.

export const state = {
  policies: [],        // GET /v1/policies
  policyId: null,      // the policy in use
  policy: null,        // GET /v1/policies/{id}
  schema: null,        // GET /v1/schema/case?policy=id
  edits: new Map(),    // Draft: relative path -> edited text (only files that differ from the policy's)
  caseFromForm: null,  // Decide: () => the case the form holds (set by the Decide view)
  caseFromTry: null,   // Draft: () => {case} of the try panel, {error} when it is not JSON, or null when empty
  draftFound: null,    // drafts kept in this browser for the policy: {restored, other}, each {files, digest, saved} or null
  draftKept: true,     // whether the browser took the last copy of the draft (drafts.js)
};

const handlers = new Map();

export function on(event, fn) {
  if (!handlers.has(event)) handlers.set(event, new Set());
  handlers.get(event).add(fn);
}

export function emit(event, ...args) {
  for (const fn of handlers.get(event) || []) fn(...args);
}

/** The edited files as the API takes them ({path: text}), or undefined when nothing is edited. */
export function editedFiles() {
  if (!state.edits.size) return undefined;
  return Object.fromEntries(state.edits);
}

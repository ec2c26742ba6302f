// QMS001 for Spectral (see ../qms001.yaml): called for each item of
// `procedures`, judges it as rules/qms.lua does on the model isorules builds.
//
// The model (core/model.c) keeps `process` only when it is a string or a
// number (an identifier) and `justification` only when it is a mapping; any
// other value is removed, and so counts as absent, like a null one. Plain
// scalars are typed differently, though: Spectral's YAML parser reads
// `Null`, `NULL`, `True`, `FALSE`... as null and booleans (the YAML 1.2 core
// schema), isorules only `null`, `~`, the empty scalar, `true` and `false`
// (shared/spec/FORMAT.md "Scalars"); anything else is a string there. So when
// Spectral sees a `process` that is null or a boolean, its source text
// decides.

const isMap = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// yaml-ast-parser's node kinds
const SCALAR = 0, MAP = 2, SEQ = 3, ANCHOR_REF = 4;

// The AST node at path below node, or undefined.
function nodeAt(node, path) {
  for (const seg of path) {
    while (node && node.kind === ANCHOR_REF) node = node.value;
    if (!node) return undefined;
    if (node.kind === MAP) {
      const m = node.mappings.find((m) => m.key && m.key.value === String(seg));
      node = m ? m.value : undefined;
    } else if (node.kind === SEQ) {
      node = node.items[Number(seg)];
    } else {
      return undefined;
    }
  }
  while (node && node.kind === ANCHOR_REF) node = node.value;
  return node;
}

// Whether isorules reads the scalar at node as an identifier (a string or an
// integer), not as null or a boolean.
function isorulesId(node) {
  if (!node || node.kind !== SCALAR) return false;  // a null value has no node
  if (!node.plainScalar) return true;                // quoted: a string
  return !["", "null", "~", "true", "false"].includes(node.rawValue);
}

export default (procedure, _options, context) => {
  const doc = context.document.data;
  if (!isMap(doc) || doc.kind !== "agency" || !Array.isArray(doc.procedures)) return;
  if (!isMap(procedure) || isMap(procedure.justification)) return;
  const p = procedure.process;
  if (typeof p === "string" || typeof p === "number") return;
  if ((p === null || typeof p === "boolean") &&
      isorulesId(nodeAt(context.document.parserResult.ast, [...context.path, "process"])))
    return;
  const code = procedure.code ?? "(không mã)";
  return [{ message: `procedure ${code} has neither an ISO process nor a written justification` }];
};

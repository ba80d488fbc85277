/**
 * A readable page for the OpenAPI document: every operation with its parameters, request body and
 * responses, and every schema with its fields. Rendered on the server from the same document as
 * /openapi.json; plain HTML and inline CSS, no scripts, nothing fetched from elsewhere.
 */
type Json = Record<string, unknown>;

const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

const refName = (ref: string) => ref.split('/').pop() ?? ref;

/** A short type expression for a JSON schema, with links to named schemas. */
export function typeOf(s: Json | undefined): string {
  if (!s) return 'any';
  if (typeof s.$ref === 'string') return `<a href="#schema-${esc(refName(s.$ref))}">${esc(refName(s.$ref))}</a>`;
  if (Array.isArray(s.enum)) return s.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(' | ');
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(s[k])) return (s[k] as Json[]).map(typeOf).join(k === 'allOf' ? ' &amp; ' : ' | ');
  }
  const t = Array.isArray(s.type) ? (s.type as string[]).join(' | ') : (s.type as string | undefined);
  if (t === 'array') return `${typeOf(s.items as Json)}[]`;
  if (t === 'object' && s.properties) return 'object';
  if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties as Json)}`;
  const fmt = s.format ? ` (${esc(s.format)})` : '';
  return `${esc(t ?? 'any')}${fmt}`;
}

function constraints(s: Json): string {
  const out: string[] = [];
  for (const [k, label] of [['minLength', 'min length'], ['maxLength', 'max length'], ['minimum', '≥'], ['maximum', '≤'], ['exclusiveMinimum', '>'], ['exclusiveMaximum', '<'], ['minItems', 'min items'], ['maxItems', 'max items'], ['default', 'default']] as const) {
    if (s[k] !== undefined) out.push(`${label} ${esc(JSON.stringify(s[k]))}`);
  }
  return out.join(', ');
}

function fields(s: Json | undefined): string {
  if (!s) return '';
  if (typeof s.$ref === 'string') return `<p>${typeOf(s)}</p>`;
  const props = s.properties as Record<string, Json> | undefined;
  if (!props) return `<p>${typeOf(s)}</p>`;
  const req = new Set((s.required as string[] | undefined) ?? []);
  const rows = Object.entries(props)
    .map(([name, p]) => `<tr><td><code>${esc(name)}</code>${req.has(name) ? ' <span class="req">required</span>' : ''}</td><td>${typeOf(p)}${p.nullable || (Array.isArray(p.type) && p.type.includes('null')) ? ' or null' : ''}</td><td>${esc(p.description ?? '')}${constraints(p) ? ` <span class="c">${constraints(p)}</span>` : ''}</td></tr>`)
    .join('');
  return `<table><thead><tr><th>Field</th><th>Type</th><th>Notes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Media types and their schemas; with `schemas`, a named schema's fields are shown in place (request bodies). */
function bodyOf(content: Json | undefined, schemas?: Record<string, Json>): string {
  if (!content) return '';
  return Object.entries(content as Record<string, { schema?: Json }>)
    .map(([type, v]) => {
      const ref = typeof v.schema?.$ref === 'string' ? refName(v.schema.$ref) : null;
      const inline = ref && schemas?.[ref] ? `<p>${typeOf(v.schema)}</p>${fields(schemas[ref])}` : fields(v.schema);
      return `<p class="ct">${esc(type)}</p>${inline}`;
    })
    .join('');
}

export function renderApiPage(doc: Json): string {
  const info = (doc.info ?? {}) as Json;
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  const ops: string[] = [];
  const toc: string[] = [];
  let n = 0;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const id = `op-${n++}`;
      toc.push(`<li><a href="#${id}"><span class="m m-${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></a> ${esc(op.summary ?? '')}</li>`);
      const params = (op.parameters as Json[] | undefined) ?? [];
      const paramRows = params
        .map((p) => `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${esc(p.in)}</td><td>${typeOf(p.schema as Json)}</td><td>${esc(p.description ?? (p.schema as Json | undefined)?.description ?? '')}</td></tr>`)
        .join('');
      const body = op.requestBody as Json | undefined;
      const responses = Object.entries((op.responses ?? {}) as Record<string, Json>)
        .map(([code, resp]) => `<h4>${esc(code === 'default' ? 'Error' : code)} <span class="d">${esc(resp.description ?? '')}</span></h4>${bodyOf(resp.content as Json | undefined)}`)
        .join('');
      ops.push(`<section class="op" id="${id}">
<h3><span class="m m-${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary ?? '')}</p>
${path === '/api/v1/sessions' && method === 'post' ? '<p class="d">No token needed.</p>' : '<p class="d">Needs <code>Authorization: Bearer &lt;token&gt;</code>.</p>'}
${params.length ? `<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Notes</th></tr></thead><tbody>${paramRows}</tbody></table>` : ''}
${body ? `<h4>Request body${body.required ? '' : ' (optional)'}</h4>${bodyOf(body.content as Json | undefined, schemas)}` : ''}
<h4>Responses</h4>${responses}
</section>`);
    }
  }
  const schemaHtml = Object.entries(schemas)
    .map(([name, s]) => `<section class="schema" id="schema-${esc(name)}"><h3>${esc(name)}</h3>${s.description ? `<p>${esc(s.description)}</p>` : ''}${fields(s)}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title ?? 'API')} — reference</title>
<style>
body{font:18px/1.5 system-ui,sans-serif;background:#000;color:#fff;margin:0;padding:0 2rem 4rem;max-width:70rem}
a{color:#8cf}a:focus{outline:3px solid #ff0}code{font:16px ui-monospace,monospace}
h1{font-size:2rem}h2{border-bottom:2px solid #fff;margin-top:3rem}h3{margin:0 0 .5rem}h4{margin:1rem 0 .3rem}
.op,.schema{border:2px solid #666;padding:1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5rem;text-align:center;font-weight:700;padding:0 .3rem;color:#000;background:#fff}
.m-get{background:#8cf}.m-post{background:#7f7}.m-patch{background:#fd5}.m-delete{background:#f88}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #666;padding:.25rem .5rem;text-align:left;vertical-align:top}
.req{color:#fd5;font-size:.85em}.c,.d,.ct{color:#ccc}.ct{margin:.2rem 0;font-style:italic}ul{padding-left:1.2rem}
</style></head><body>
<h1>${esc(info.title ?? 'API')} <span class="d">version ${esc(info.version ?? '')}</span></h1>
<p>Generated from <a href="/openapi.json">/openapi.json</a> (OpenAPI ${esc(doc.openapi ?? '')}); the same schemas validate every request.
Log in with <code>POST /api/v1/sessions</code> and send the token as <code>Authorization: Bearer &lt;token&gt;</code>.
Errors are <code>{ code, message, details? }</code> with a code from the error catalogue. The web console is at <a href="/">/</a>.</p>
<h2>Operations</h2><ul>${toc.join('')}</ul>
${ops.join('\n')}
<h2>Schemas</h2>
${schemaHtml}
</body></html>`;
}

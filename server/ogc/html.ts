// Server-rendered HTML for every OGC API resource: plain, escaped, accessible (landmarks, headings, captions,
// scoped table headers), each page linking to its JSON twin and, for collections, to the viewer (`/?layer=<id>`).

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A link in a page. */
export interface HtmlLink {
  href: string;
  label: string;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;line-height:1.45}
header,main,footer{padding:0.75rem 1.5rem}header{background:#0b3d5c;color:#fff}header a{color:#fff}
nav ol{list-style:none;display:flex;gap:.5rem;padding:0;margin:.25rem 0}nav li+li::before{content:"/";margin-right:.5rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f5}caption{text-align:left;font-weight:600;padding:.25rem 0}a{color:#0b5cad}a:focus{outline:3px solid #f5a623}
.actions a{display:inline-block;margin-right:1rem}code{background:#f3f3f3;padding:0 .2rem}`;

/**
 * A complete page.
 * @param title - page title and h1
 * @param breadcrumbs - path from the landing page
 * @param body - already-escaped HTML
 * @param jsonHref - the JSON representation of the same resource
 */
export function renderPage(title: string, breadcrumbs: HtmlLink[], body: string, jsonHref: string): string {
  const trail = breadcrumbs
    .map((link, index) =>
      index === breadcrumbs.length - 1
        ? `<li aria-current="page">${escapeHtml(link.label)}</li>`
        : `<li><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Plaza OGC API</title><style>${STYLE}</style>
<link rel="alternate" type="application/json" href="${escapeHtml(jsonHref)}"></head>
<body><a href="#main" style="position:absolute;left:-999px">Skip to content</a>
<header><nav aria-label="Breadcrumb"><ol>${trail}</ol></nav></header>
<main id="main"><h1>${escapeHtml(title)}</h1>${body}
<p class="actions"><a href="${escapeHtml(jsonHref)}">This page as JSON</a></p></main>
<footer><small>Plaza · OGC API Features</small></footer></body></html>`;
}

/** A definition list of label → already-escaped value. */
export function renderFacts(facts: [string, string][]): string {
  return `<dl>${facts.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

/** A table with a caption, header row and already-escaped cells. */
export function renderTable(caption: string, headers: string[], rows: string[][]): string {
  const head = headers.map((header) => `<th scope="col">${escapeHtml(header)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('');
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** An anchor with escaped href and label. */
export function anchor(href: string, label: string): string {
  return `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`;
}

/** A property value as text (objects as JSON). */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '<span aria-label="no value">–</span>';
  return escapeHtml(typeof value === 'object' ? JSON.stringify(value) : value);
}

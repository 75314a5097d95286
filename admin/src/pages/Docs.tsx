import { ReactNode, useEffect, useState } from 'react';
import { Link } from '../router';

/**
 * The identity-provider guides of the repository (docs/okta.md, docs/entra.md, docs/oauth.md), bundled at build time
 * (each its own chunk, loaded when opened) and shown inside the console: the admin connecting an IdP needs them next
 * to the values to paste, whether or not they can reach the repository. A small Markdown reader covers what these
 * files use: headings, paragraphs, lists, tables, fenced code, quotes, links, `code`, **bold** and *emphasis*.
 */
const DOCS: Record<string, { title: string; load: () => Promise<{ default: string }> }> = {
  okta: { title: 'Okta guide', load: () => import('../../../docs/okta.md?raw') },
  entra: { title: 'Microsoft Entra ID guide', load: () => import('../../../docs/entra.md?raw') },
  oauth: { title: 'OAuth', load: () => import('../../../docs/oauth.md?raw') },
};

export function Docs({ name }: { name: string }) {
  const doc = DOCS[name];
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    doc?.load().then((m) => live && setText(m.default));
    return () => {
      live = false;
    };
  }, [doc]);
  // A link to a section (`/admin/docs/okta#attribute-mapping`) scrolls there once the text is in.
  useEffect(() => {
    if (text && window.location.hash) document.getElementById(decodeURIComponent(window.location.hash.slice(1)))?.scrollIntoView();
  }, [text]);
  if (!doc) {
    return (
      <>
        <h1>No such guide</h1>
        <p>
          <Link to="/connect">Back to Connect</Link>
        </p>
      </>
    );
  }
  return (
    <article className="card doc" aria-busy={text === null}>
      <p className="breadcrumb">
        <Link to="/connect">← Connect</Link> · <span className="muted">docs/{name}.md</span>
      </p>
      {text === null ? <p className="muted">Loading…</p> : renderMarkdown(text)}
    </article>
  );
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function inline(text: string, key = 0): ReactNode[] {
  const out: ReactNode[] = [];
  const pattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\[([^\]]+)\]\(([^)\s]+)\))|(\*[^*\s][^*]*\*)|(\b_[^_\s][^_]*_\b)/g;
  let last = 0;
  let i = key;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const token = m[0];
    if (m[1]) out.push(<code key={i++}>{token.slice(1, -1)}</code>);
    else if (m[2]) out.push(<strong key={i++}>{inline(token.slice(2, -2), i * 100)}</strong>);
    else if (m[3]) out.push(<DocLink key={i++} href={m[5]}>{inline(m[4], i * 100)}</DocLink>);
    else out.push(<em key={i++}>{token.slice(1, -1)}</em>);
    last = m.index + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Another bundled guide opens in the console; an anchor stays on the page; anything else is the repository's path. */
function DocLink({ href, children }: { href: string; children: ReactNode }) {
  if (href.startsWith('#')) return <a href={href}>{children}</a>;
  const doc = /^([a-z-]+)\.md(#.*)?$/.exec(href);
  if (doc && DOCS[doc[1]]) return <Link to={`/docs/${doc[1]}${doc[2] ?? ''}`}>{children}</Link>;
  if (/^https?:\/\//.test(href)) {
    return (
      <a href={href} rel="noreferrer noopener" target="_blank">
        {children}
      </a>
    );
  }
  return (
    <span>
      {children} <span className="muted small">(docs/{href})</span>
    </span>
  );
}

function renderMarkdown(source: string): ReactNode {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const blocks: ReactNode[] = [];
  let i = 0;
  let key = 0;
  const isBlockStart = (line: string) => /^(#{1,6} |```|\||>|\s*([-*]|\d+\.) )/.test(line);
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const heading = /^(#{1,6}) (.*)$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      const Tag = `h${level}` as 'h2';
      blocks.push(
        <Tag key={key++} id={slug(heading[2])}>
          {inline(heading[2])}
        </Tag>,
      );
      i++;
      continue;
    }
    if (line.startsWith('```')) {
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) code.push(lines[i]);
      i++;
      blocks.push(
        <pre key={key++} tabIndex={0}>
          <code>{code.join('\n')}</code>
        </pre>,
      );
      continue;
    }
    if (line.startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i].startsWith('|'); i++) {
        rows.push(
          lines[i]
            .replace(/^\||\|$/g, '')
            .split(/(?<!\\)\|/)
            .map((c) => c.trim().replace(/\\\|/g, '|')),
        );
      }
      const [head, , ...body] = rows;
      blocks.push(
        <div className="table-scroll" key={key++} tabIndex={0} role="region" aria-label="Table">
          <table className="table">
            <thead>
              <tr>
                {head.map((c, j) => (
                  <th key={j} scope="col">
                    {inline(c)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {body.map((r, j) => (
                <tr key={j}>
                  {r.map((c, k) => (
                    <td key={k}>{inline(c)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>,
      );
      continue;
    }
    if (line.startsWith('>')) {
      const quote: string[] = [];
      for (; i < lines.length && lines[i].startsWith('>'); i++) quote.push(lines[i].replace(/^> ?/, ''));
      blocks.push(<blockquote key={key++}>{inline(quote.join(' '))}</blockquote>);
      continue;
    }
    const item = /^(\s*)([-*]|\d+\.) (.*)$/.exec(line);
    if (item) {
      const ordered = /\d/.test(item[2]);
      const items: string[] = [];
      for (; i < lines.length; i++) {
        const next = /^(\s*)([-*]|\d+\.) (.*)$/.exec(lines[i]);
        if (next && next[1].length <= item[1].length + 1) items.push(next[3]);
        else if (lines[i].trim() !== '' && /^\s+/.test(lines[i]) && items.length) items[items.length - 1] += ` ${lines[i].trim()}`;
        else break;
      }
      const List = ordered ? 'ol' : 'ul';
      blocks.push(
        <List key={key++}>
          {items.map((text, j) => (
            <li key={j}>{inline(text.replace(/^\s*([-*]|\d+\.) /, ''))}</li>
          ))}
        </List>,
      );
      continue;
    }
    const paragraph: string[] = [];
    for (; i < lines.length && lines[i].trim() !== '' && !isBlockStart(lines[i]); i++) paragraph.push(lines[i].trim());
    if (paragraph.length === 0) {
      paragraph.push(line);
      i++;
    }
    blocks.push(<p key={key++}>{inline(paragraph.join(' '))}</p>);
  }
  return blocks;
}

// The UI's safety primitives without a browser: the escaping template, the Markdown renderer and its link
// validator, run links, shell quoting, and the plain-text helpers the tables use.
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, join, raw } from '../../src/daemon/ui/html.js';
import { firstLine, isSafeLinkTarget, renderMarkdown, safeHttpUrl } from '../../src/daemon/ui/markdown.js';
import { searchToFilter } from '../../src/daemon/ui/pages/models.js';
import { versionsPage } from '../../src/daemon/ui/pages/model.js';
import { mregCommand, ph, shellQuote } from '../../src/daemon/ui/shell.js';
import { summarize } from '../../src/daemon/ui/summaries.js';
import { Links, modelPath, versionPath, withQuery } from '../../src/daemon/ui/view.js';
import { modelEntry, type ModelEntry, type VersionFile } from '../../src/domain/state.js';

describe('html template', () => {
  it('escapes every interpolation: text, attributes and both quote characters', () => {
    const payload = `"><img src=x onerror="alert(1)">'<script>x</script>&` + '`';
    const out = html`<a href="/m/${payload}" title='${payload}'>${payload}</a>`.value;
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<script');
    expect(out).toBe(
      `<a href="/m/&quot;&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&lt;script&gt;x&lt;/script&gt;&amp;&#96;" title='&quot;&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&lt;script&gt;x&lt;/script&gt;&amp;&#96;'>&quot;&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&lt;script&gt;x&lt;/script&gt;&amp;&#96;</a>`,
    );
  });

  it('keeps nested Html as it is, escapes strings in lists, and renders nothing for null, undefined and booleans', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${['<x>', inner]}${null}${undefined}${false}${true}${0}</p>`.value).toBe(
      '<p><b>&lt;i&gt;</b>&lt;x&gt;<b>&lt;i&gt;</b>0</p>',
    );
  });

  it('emits raw() unescaped, and only raw()', () => {
    expect(html`${raw('<hr>')}`.value).toBe('<hr>');
    // A plain object that looks like Html is still text.
    expect(html`${{ value: '<hr>' } as unknown as string}`.value).toBe('[object Object]');
    expect(join(['<a>', raw('<b>')], ', ').value).toBe('&lt;a&gt;, <b>');
  });

  it('escapeHtml covers & < > " \' and `', () => {
    expect(escapeHtml(`&<>"'` + '`')).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
    expect(escapeHtml('plain é ü 名前')).toBe('plain é ü 名前');
  });
});

describe('Markdown', () => {
  const md = (s: string) => renderMarkdown(s).value;

  it('renders CommonMark (emphasis, lists, code, autolinks) with rel on links and headings moved down two levels', () => {
    const out = md(
      '# Title\n\n**bold** and `code`\n\n- a\n- b\n\nSee https://example.com/x and [docs](https://docs.example/a?b=1&c=2).',
    );
    expect(out).toContain('<h3>Title</h3>');
    expect(out).toContain('<strong>bold</strong>');
    expect(out).toContain('<code>code</code>');
    expect(out).toContain('<li>a</li>');
    expect(out).toContain(
      '<a href="https://example.com/x" rel="nofollow noopener noreferrer">https://example.com/x</a>',
    );
    expect(out).toContain('<a href="https://docs.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">docs</a>');
  });

  it.each([
    ['<script>window.__xss=1</script>'],
    ['<img src=x onerror="window.__xss=1">'],
    ['<svg onload=alert(1)>'],
    ['<a href="javascript:alert(1)">x</a>'],
    ['<iframe src="https://evil.example"></iframe>'],
    ['<div style="background:url(javascript:alert(1))">x</div>'],
  ])('keeps raw HTML as text: %s', (src) => {
    const out = md(src);
    expect(out).not.toMatch(/<(script|img|svg|iframe|div)[\s>]/i);
    expect(out).not.toMatch(/<a href="javascript/i);
    expect(out).toContain('&lt;');
  });

  it.each([
    ['[x](javascript:window.__xss=1)'],
    ['[x](JaVaScRiPt:alert(1))'],
    ['[x](  javascript:alert(1))'],
    ['[x](java\tscript:alert(1))'],
    ['[x](&#106;avascript:alert(1))'],
    ['[x](javascript&colon;alert(1))'],
    ['[x](javascript&#58;alert(1))'],
    ['[x](vbscript:msgbox(1))'],
    ['[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
    ['[x](data:image/png;base64,iVBORw0KGgo=)'],
    ['[x](file:///etc/passwd)'],
    ['<javascript:alert(1)>'],
    ['[x][r]\n\n[r]: javascript:alert(1)'],
    ['![x](javascript:alert(1))'],
    ['![img](https://evil.example/track.png)'],
  ])('never produces a dangerous link or an image: %s', (src) => {
    const out = md(src);
    expect(out).not.toMatch(/href="\s*(javascript|vbscript|data|file)/i);
    expect(out).not.toMatch(/<img/i);
    // An href, if any, is harmless: a relative reference or http(s)/mailto.
    for (const m of out.matchAll(/href="([^"]*)"/g)) expect(isSafeLinkTarget(m[1]!.replace(/&amp;/g, '&'))).toBe(true);
  });

  it('keeps http, https, mailto and relative links', () => {
    expect(md('[a](http://x.example)')).toContain('href="http://x.example"');
    expect(md('[a](mailto:risk@acme.example)')).toContain('href="mailto:risk@acme.example"');
    expect(md('[a](/ui/models/fraud)')).toContain('href="/ui/models/fraud"');
    expect(md('[a](#section)')).toContain('href="#section"');
    expect(md('[a](../x)')).toContain('href="../x"');
  });

  it('isSafeLinkTarget decides by scheme, as a browser reads it', () => {
    for (const ok of ['https://a', 'HTTP://a', 'mailto:x@y', '/path', 'rel/path', '?q=1', '#frag', '', 'a/b:c'])
      expect(isSafeLinkTarget(ok), ok).toBe(true);
    for (const bad of [
      'javascript:x',
      ' javascript:x',
      '\u0001javascript:x',
      'java\nscript:x',
      'jav\tascript:x',
      'data:x',
      'vbscript:x',
      'file:x',
      'blob:x',
      'ftp://x',
      'chrome://settings',
    ])
      expect(isSafeLinkTarget(bad), JSON.stringify(bad)).toBe(false);
  });

  it('safeHttpUrl admits absolute http(s) URLs only', () => {
    expect(safeHttpUrl('https://mlflow.example/#/experiments/1/runs/abc')).toBe(
      'https://mlflow.example/#/experiments/1/runs/abc',
    );
    expect(safeHttpUrl('  http://x.example/a b ')).toBe('http://x.example/a%20b');
    for (const bad of [
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      'data:text/html,x',
      '//evil.example',
      '/relative',
      'https://',
      'http://a\tb',
      undefined,
    ])
      expect(safeHttpUrl(bad)).toBeUndefined();
  });

  it('firstLine gives the first non-empty line as plain text, clipped', () => {
    expect(firstLine('\n\n## Retrained on **January** data with `leak` fix\nmore')).toBe(
      'Retrained on January data with leak fix',
    );
    expect(firstLine('See [the runbook](https://x) now')).toBe('See the runbook now');
    expect(firstLine('x'.repeat(200), 10)).toBe('xxxxxxxxx…');
    expect(firstLine(undefined)).toBe('');
    // A pathological line is clipped before any regular expression runs over it.
    const t0 = performance.now();
    firstLine('['.repeat(1_000_000));
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});

describe('URLs', () => {
  const hostile = `x"><img src=x onerror=window.__xss=1>`;
  it('model and version paths encode every character that could leave the path segment', () => {
    expect(modelPath(hostile)).toBe('/ui/models/x%22%3E%3Cimg%20src%3Dx%20onerror%3Dwindow.__xss%3D1%3E');
    expect(modelPath(`a?b#c d&e'f@g é`)).toBe(`/ui/models/a%3Fb%23c%20d%26e'f%40g%20%C3%A9`);
    expect(versionPath('fraud', 7)).toBe('/ui/models/fraud/versions/7');
    expect(decodeURIComponent(modelPath(hostile).split('/')[3]!)).toBe(hostile);
  });
  it('links keep `at` while time travelling and drop empty values', () => {
    const at = 'a'.repeat(40);
    expect(new Links(at).model('fraud', { page: 2, stage: undefined })).toBe(`/ui/models/fraud?page=2&at=${at}`);
    expect(new Links(undefined).models({ q: "name = 'x'" })).toBe('/?q=name+%3D+%27x%27');
    expect(withQuery('/ui/history', { model: '', before: null })).toBe('/ui/history');
  });
});

describe('shell commands', () => {
  it.each([
    ['fraud', 'fraud'],
    ['demand-forecast', 'demand-forecast'],
    ['Recsys.Embeddings', 'Recsys.Embeddings'],
    ['two words', "'two words'"],
    ["o'brien", `'o'\\''brien'`],
    ['$(rm -rf ~)', "'$(rm -rf ~)'"],
    ['`id`;x', "'`id`;x'"],
    ['a"b', `'a"b'`],
    ['名前', "'名前'"],
    ['', "''"],
    ['*', "'*'"],
  ])('shellQuote(%j) = %s', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });
  it('mregCommand quotes words, leaves placeholders, and ends options before a name that starts with a dash', () => {
    expect(mregCommand('transition', ['fraud', 7, 'Production'])).toBe('mreg transition fraud 7 Production');
    expect(mregCommand('alias', ['my model', 'champion', 7])).toBe("mreg alias 'my model' champion 7");
    expect(mregCommand('register', ['fraud'], ['--source', ph('URI')])).toBe('mreg register fraud --source URI');
    expect(mregCommand('tag', ['-x', ph('KEY=VALUE')], [])).toBe('mreg tag -- -x KEY=VALUE');
  });
});

describe('search box', () => {
  it('plain text is a name search; anything with an operator or quote is MLflow filter grammar', () => {
    expect(searchToFilter('fraud')).toEqual({ filter: "name ILIKE '%fraud%'", plain: true });
    expect(searchToFilter("  tags.team = 'risk' ")).toEqual({ filter: "tags.team = 'risk'", plain: false });
    expect(searchToFilter('name LIKE fraud')).toEqual({ filter: 'name LIKE fraud', plain: false });
    expect(searchToFilter('')).toEqual({ filter: '', plain: false });
  });
});

describe('versions table paging', () => {
  function entry(numbers: number[], stageOf: (n: number) => VersionFile['stage'] = () => 'None'): ModelEntry {
    const versions = new Map<number, VersionFile>();
    for (const n of numbers)
      versions.set(n, {
        version: n,
        source: `s3://b/${n}`,
        stage: stageOf(n),
        status: 'READY',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      });
    const latest = Math.max(0, ...numbers);
    // The numbers below the highest without a version were deleted: their tombstones.
    const deleted = new Map<number, string>();
    for (let n = 1; n <= latest; n++) if (!versions.has(n)) deleted.set(n, '2026-01-01T00:00:00.000Z');
    return modelEntry({
      dir: 'm',
      file: { name: 'm', created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' },
      versions,
      deleted,
    });
  }
  it('walks down from latest_version skipping deleted numbers, or up from 1, or slices a stage', () => {
    const e = entry([1, 2, 4, 5, 7, 8, 9], (n) => (n % 2 ? 'Staging' : 'None'));
    const s = summarize(e);
    const nums = (vs: VersionFile[]) => vs.map((v) => v.version);
    expect(nums(versionsPage(e, s, undefined, false, 0, 3))).toEqual([9, 8, 7]);
    expect(nums(versionsPage(e, s, undefined, false, 3, 3))).toEqual([5, 4, 2]);
    expect(nums(versionsPage(e, s, undefined, false, 6, 3))).toEqual([1]);
    expect(nums(versionsPage(e, s, undefined, true, 0, 4))).toEqual([1, 2, 4, 5]);
    expect(nums(versionsPage(e, s, 'Staging', false, 0, 10))).toEqual([9, 7, 5, 1]);
    expect(nums(versionsPage(e, s, 'Staging', true, 1, 2))).toEqual([5, 7]);
  });
});

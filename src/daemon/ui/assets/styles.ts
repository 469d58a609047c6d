// The UI's one stylesheet, served as /static/mreg.css?v=<hash> (see assets/index.ts). Kept in a .ts
// module so that `tsc` ships it in dist/ with no build step and nothing is read from disk at run time.
export const CSS = String.raw`
:root {
  --bg: #f6f7f9;
  --surface: #ffffff;
  --text: #1c2127;
  --muted: #57606a;
  --faint: #626b75;
  --border: #d0d7de;
  --hairline: #e7ebef;
  --zebra: #fafbfc;
  --hover: #f1f6fd;
  --accent: #0a5fc2;
  --accent-strong: #084c9c;
  --header: #0e2235;
  --header-text: #e8eef5;
  --header-muted: #a9b9ca;
  --travel-bg: #f1edff;
  --travel-border: #6d54d6;
  --travel-text: #2d1f70;
  --error-bg: #fdf0f0;
  --error-border: #cf222e;
  --error-text: #82071e;
  --radius: 8px;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
}
a { color: var(--accent); text-decoration: none; }
a:hover { color: var(--accent-strong); text-decoration: underline; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; border-radius: 3px; }
code, pre, .mono { font-family: var(--mono); font-size: 0.92em; }
main code { overflow-wrap: anywhere; }
main pre code { overflow-wrap: normal; }
h1, h2, h3 { line-height: 1.25; margin: 0; }
h1 { font-size: 24px; font-weight: 650; letter-spacing: -0.01em; overflow-wrap: anywhere; }
h2 { font-size: 16px; font-weight: 620; }
p { margin: 0 0 8px; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip { position: absolute; left: 8px; top: -48px; z-index: 10; background: var(--surface); color: var(--accent); padding: 8px 12px; border-radius: var(--radius); }
.skip:focus { top: 8px; }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; }

/* header */
.top { background: var(--header); color: var(--header-text); }
.top .bar { max-width: 1240px; margin: 0 auto; padding: 0 24px; display: flex; align-items: center; gap: 28px; min-height: 52px; flex-wrap: wrap; }
.brand { display: inline-flex; align-items: center; gap: 9px; color: #fff; font-weight: 700; font-size: 16px; letter-spacing: 0.01em; }
.brand:hover { color: #fff; text-decoration: none; }
.brand .mark { width: 22px; height: 22px; border-radius: 6px; background: linear-gradient(135deg, #3d8bfd, #6d54d6); display: inline-grid; place-items: center; font-size: 12px; font-weight: 800; color: #fff; }
.top nav ul { list-style: none; margin: 0; padding: 0; display: flex; gap: 4px; }
.top nav a { display: block; color: var(--header-muted); padding: 15px 10px 13px; border-bottom: 2px solid transparent; font-weight: 520; }
.top nav a:hover { color: #fff; text-decoration: none; }
.top nav a[aria-current="page"] { color: #fff; border-bottom-color: #58a6ff; }
.top .serving { margin-left: auto; color: var(--header-muted); font-size: 12.5px; }
.top .serving code { color: var(--header-text); }
.top :focus-visible { outline-color: #9ecbff; }

/* page */
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 40px; }
.crumbs { font-size: 13px; color: var(--muted); margin: 0 0 6px; overflow-wrap: anywhere; }
.crumbs ol { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }
.crumbs li + li::before { content: "/"; color: var(--faint); margin-right: 6px; }
.page-head { display: flex; flex-wrap: wrap; align-items: flex-end; justify-content: space-between; gap: 12px 24px; margin: 0 0 18px; }
.page-head .title { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; min-width: 0; }
.page-head .sub { color: var(--muted); margin-top: 6px; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; }
.page-head .sub strong { color: var(--text); font-weight: 560; }
section { margin: 0 0 20px; }
.grid-2 section, .stack section { margin: 0; }
.section-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 8px 16px; margin: 0 0 10px; }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 16px 18px; }
.card > h2 { margin-bottom: 10px; }
.grid-2 { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 20px; margin-bottom: 20px; align-items: start; }
.grid-2 > .stack { display: grid; gap: 20px; }

/* banners */
.banner { border-radius: var(--radius); padding: 10px 14px; margin: 0 0 18px; border: 1px solid; border-left-width: 4px; }
.banner.travel { background: var(--travel-bg); border-color: var(--travel-border); color: var(--travel-text); }
.banner.travel a { color: var(--travel-text); font-weight: 620; text-decoration: underline; }
.banner.error { background: var(--error-bg); border-color: var(--error-border); color: var(--error-text); }
.banner.error code { white-space: pre-wrap; overflow-wrap: anywhere; }
.banner.info { background: #eef6ff; border-color: #7bb3f0; color: #0b3b6f; }

/* tables */
.table-wrap { overflow-x: auto; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); -webkit-overflow-scrolling: touch; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; }
th, td { padding: 9px 14px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--hairline); }
thead th { background: #f6f8fa; color: var(--muted); font-size: 12.5px; font-weight: 600; white-space: nowrap; border-bottom: 1px solid var(--border); }
tbody tr:nth-child(even) { background: var(--zebra); }
tbody tr:hover { background: var(--hover); }
tbody tr:last-child td { border-bottom: 0; }
th.num, td.num { text-align: right; }
th a.sort { color: inherit; display: inline-flex; align-items: center; gap: 4px; }
th a.sort:hover { color: var(--text); }
th a.sort .arrow { font-size: 10px; color: var(--faint); }
th[aria-sort] a.sort { color: var(--text); }
th[aria-sort] a.sort .arrow { color: var(--accent); }
td.name { font-weight: 560; overflow-wrap: break-word; min-width: 120px; max-width: 320px; }
td.time { white-space: nowrap; color: var(--muted); }
td.src { max-width: 340px; }
td.src code, td .ellipsis { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.desc { color: var(--muted); min-width: 160px; max-width: 360px; }
.kv th { width: 34%; background: transparent; color: var(--muted); font-weight: 500; font-size: 13px; white-space: normal; overflow-wrap: anywhere; border-bottom: 1px solid var(--hairline); }
.kv td { overflow-wrap: anywhere; }
.kv tbody tr:nth-child(even) { background: transparent; }
.kv tbody tr:hover { background: transparent; }
.kv tbody tr:last-child th, .kv tbody tr:last-child td { border-bottom: 0; }

/* badges and chips */
.badge { display: inline-block; border: 1px solid; border-radius: 999px; padding: 0 9px; font-size: 12px; font-weight: 600; line-height: 20px; white-space: nowrap; }
.stage-none { background: #eff2f5; color: #4a5560; border-color: #d3dae1; }
.stage-staging { background: #fff3d1; color: #7a4b00; border-color: #eccb7c; }
.stage-production { background: #dbf4e2; color: #0f5f2c; border-color: #9fd8b1; }
.stage-archived { background: #f3f3f3; color: #5c5c5c; border-color: #d9d9d9; font-style: italic; }
.state-parked { background: var(--error-bg); color: var(--error-text); border-color: var(--error-border); }
.page-head .badge { font-size: 13px; line-height: 24px; padding: 0 11px; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; }
.chip { display: inline-flex; align-items: baseline; gap: 4px; max-width: 280px; border: 1px solid var(--border); border-radius: 6px; padding: 0 7px; font-size: 12px; line-height: 20px; background: #f6f8fa; color: var(--text); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.chip .k { color: var(--muted); }
.chip .v { overflow: hidden; text-overflow: ellipsis; }
a.chip:hover { text-decoration: none; border-color: var(--accent); }
.chip.alias { background: #eaf2fe; border-color: #b6d1f5; color: #0b4a93; font-weight: 560; }
.chip.more { background: transparent; border-style: dashed; color: var(--muted); }
.vlist { display: flex; flex-wrap: wrap; gap: 2px 8px; }

/* search and forms */
.search { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.search label { font-weight: 600; }
.search input[type="search"], .search input[type="text"] { flex: 1 1 320px; min-width: 0; font: inherit; font-family: var(--mono); font-size: 13px; padding: 7px 10px; border: 1px solid var(--border); border-radius: 6px; background: var(--surface); color: var(--text); }
.search input:focus-visible { outline: 2px solid var(--accent); outline-offset: 0; border-color: var(--accent); }
button, .button { font: inherit; font-weight: 560; padding: 7px 14px; border-radius: 6px; border: 1px solid var(--accent-strong); background: var(--accent); color: #fff; cursor: pointer; }
button:hover, .button:hover { background: var(--accent-strong); text-decoration: none; color: #fff; }
.button.secondary { background: var(--surface); color: var(--text); border-color: var(--border); }
.button.secondary:hover { background: #f3f4f6; color: var(--text); }
.help { margin-top: 8px; font-size: 13px; color: var(--muted); }
.help summary { cursor: pointer; color: var(--accent); width: max-content; }
.help ul { margin: 8px 0 0; padding-left: 18px; display: grid; gap: 3px; }
.help code { color: var(--text); }
.toolbar { margin: 0 0 14px; }
.result-line { color: var(--muted); font-size: 13px; margin: 0 0 8px; }

/* tabs (version stage filter) */
.tabs { display: flex; flex-wrap: wrap; gap: 6px; margin: 0; padding: 0; list-style: none; }
.tabs a { display: inline-block; padding: 3px 11px; border-radius: 999px; border: 1px solid var(--border); background: var(--surface); color: var(--muted); font-size: 12.5px; font-weight: 560; }
.tabs a:hover { text-decoration: none; color: var(--text); border-color: #afb8c1; }
.tabs a[aria-current="page"] { background: var(--header); border-color: var(--header); color: #fff; }
.tabs .count { font-variant-numeric: tabular-nums; opacity: 0.8; margin-left: 3px; }

/* pagination */
.pager { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px 16px; margin-top: 12px; font-size: 13px; color: var(--muted); }
.pager ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px; margin: 0; padding: 0; }
.pager a, .pager span.cur, .pager span.gap, .pager span.off { display: inline-block; min-width: 32px; text-align: center; padding: 4px 9px; border-radius: 6px; border: 1px solid var(--border); background: var(--surface); font-variant-numeric: tabular-nums; }
.pager a:hover { text-decoration: none; border-color: var(--accent); }
.pager span.cur { background: var(--header); border-color: var(--header); color: #fff; font-weight: 600; }
.pager span.gap { border-color: transparent; background: transparent; min-width: 0; padding: 4px 2px; }
.pager span.off { color: #9aa4ae; background: transparent; }

/* properties */
dl.props { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 8px 20px; margin: 0; }
dl.props dt { color: var(--muted); font-size: 13px; }
dl.props dd { margin: 0; overflow-wrap: anywhere; min-width: 0; }
dl.props dd code { background: #f6f8fa; border: 1px solid var(--hairline); border-radius: 4px; padding: 0 4px; }

/* markdown */
.md { overflow-wrap: anywhere; }
.md > :first-child { margin-top: 0; }
.md > :last-child { margin-bottom: 0; }
.md p, .md ul, .md ol, .md pre, .md blockquote, .md table { margin: 0 0 10px; }
.md h3, .md h4, .md h5, .md h6 { margin: 14px 0 6px; font-size: 14px; font-weight: 650; }
.md h3 { font-size: 15px; }
.md ul, .md ol { padding-left: 22px; }
.md code { background: #f3f4f6; border-radius: 4px; padding: 1px 4px; }
.md pre { background: #f6f8fa; border: 1px solid var(--hairline); border-radius: 6px; padding: 10px 12px; overflow-x: auto; }
.md pre code { background: none; padding: 0; }
.md blockquote { border-left: 3px solid var(--border); color: var(--muted); padding-left: 12px; margin-left: 0; }
.md table { width: auto; border: 1px solid var(--hairline); }
.empty-text { color: var(--faint); font-style: italic; }

/* commands */
.cmds { display: grid; gap: 10px 20px; grid-template-columns: repeat(auto-fill, minmax(min(100%, 440px), 1fr)); }
.cmd { min-width: 0; }
.cmd .label { font-size: 12.5px; color: var(--muted); margin-bottom: 3px; }
.cmd .line { display: flex; align-items: stretch; gap: 6px; }
.cmd pre { flex: 1; min-width: 0; margin: 0; background: #0f1b27; color: #e6edf3; border-radius: 6px; padding: 8px 12px; overflow-x: auto; font-size: 12.5px; line-height: 1.55; }
.cmd pre code { font-size: inherit; }
.cmd button.copy { padding: 0 10px; font-size: 12px; background: var(--surface); color: var(--text); border-color: var(--border); }
.cmd button.copy:hover { background: #f3f4f6; color: var(--text); }
.readonly-note { font-size: 13px; color: var(--muted); margin: 0 0 12px; }

/* empty and error states */
.empty { text-align: center; padding: 40px 20px; background: var(--surface); border: 1px dashed var(--border); border-radius: var(--radius); }
.empty h2 { margin-bottom: 6px; font-size: 17px; }
.empty p { color: var(--muted); }
.empty .cmd { max-width: 560px; margin: 14px auto 0; text-align: left; }
.error-page { max-width: 720px; }
.error-page .status { font-size: 13px; font-weight: 700; letter-spacing: 0.06em; color: var(--error-border); text-transform: uppercase; margin-bottom: 6px; }

/* history */
.timeline { list-style: none; margin: 0; padding: 0; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); }
.timeline > li { display: grid; grid-template-columns: 150px minmax(0, 1fr); gap: 4px 18px; padding: 12px 16px; border-bottom: 1px solid var(--hairline); }
.timeline > li:last-child { border-bottom: 0; }
.timeline .when { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; font-size: 13px; }
.timeline .meta { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px; }
.timeline .who { font-weight: 600; }
.timeline .oid { font-family: var(--mono); font-size: 12px; background: #f6f8fa; border: 1px solid var(--hairline); border-radius: 4px; padding: 0 5px; }
.timeline .msg { color: var(--text); overflow-wrap: anywhere; }
.timeline .via { font-size: 13px; margin-top: 2px; }
.ops { list-style: none; margin: 6px 0 0; padding: 0; display: grid; gap: 3px; font-size: 13px; }
.ops li { overflow-wrap: anywhere; padding-left: 14px; position: relative; }
.ops li::before { content: ""; position: absolute; left: 2px; top: 0.6em; width: 5px; height: 5px; border-radius: 50%; background: #afb8c1; }
.ops .arrow { color: var(--faint); margin: 0 3px; }
.ops details summary { cursor: pointer; color: var(--accent); }

footer.foot { max-width: 1240px; margin: 0 auto; padding: 0 24px 32px; color: var(--faint); font-size: 12.5px; }
footer.foot p { margin: 0; }

@media (max-width: 900px) {
  .grid-2 { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 640px) {
  body { font-size: 14px; }
  .top .bar { padding: 0 14px; gap: 4px 16px; }
  .top .serving { margin-left: 0; width: 100%; padding-bottom: 8px; }
  .top nav a { padding: 10px 8px 8px; }
  main { padding: 14px 14px 32px; }
  footer.foot { padding: 0 14px 24px; }
  h1 { font-size: 20px; }
  th, td { padding: 8px 10px; }
  .card { padding: 14px; }
  dl.props { grid-template-columns: minmax(0, 1fr); gap: 2px; }
  dl.props dd { margin-bottom: 8px; }
  .timeline > li { grid-template-columns: minmax(0, 1fr); }
  .search button { flex: 1 0 auto; }
}
@media (max-width: 640px) {
  /* Narrow screens: table rows become labelled cards; only the sort links of the header stay. */
  table.collapse thead { display: block; }
  table.collapse thead tr { display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 8px 12px; background: #f6f8fa; border-bottom: 1px solid var(--border); }
  table.collapse thead th { display: none; padding: 0; border: 0; background: none; }
  table.collapse thead th.sortable { display: block; }
  table.collapse, table.collapse tbody, table.collapse tr, table.collapse td { display: block; width: 100%; }
  table.collapse tbody tr { padding: 10px 12px; border-bottom: 1px solid var(--hairline); }
  table.collapse tbody tr:last-child { border-bottom: 0; }
  table.collapse td { display: grid; grid-template-columns: 96px minmax(0, 1fr); justify-items: start; gap: 8px; padding: 3px 0; border: 0; max-width: none; min-width: 0; }
  table.collapse td::before { content: attr(data-label); color: var(--muted); font-size: 12px; font-weight: 500; padding-top: 1px; }
  table.collapse td.name { display: block; font-size: 15px; padding-bottom: 4px; }
  table.collapse td.name::before { content: none; }
  table.collapse td.none { display: none; }
  table.collapse td.src code { white-space: normal; overflow-wrap: anywhere; }
}
@media print {
  .top nav, .search, .cmds, .pager { display: none; }
}
`;

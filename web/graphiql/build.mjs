// Builds GraphiQL for the api to serve: web/graphiql/ → web/dist/graphiql/.
// Only what `npm ci` installed from package-lock.json is used; nothing is
// downloaded. Run by scripts/build-web.sh (`make web`).
//
// The page must work under the api's one Content-Security-Policy
// (api/src/http/headers.rs): scripts and styles from this origin only, fonts
// from this origin only. GraphiQL's stylesheet embeds its fonts as data: URLs,
// which `font-src 'self'` refuses, so they are written out as files here and
// the stylesheet points at those instead. And GraphiQL's dialogs add a
// <style> element through `react-style-singleton`, which `style-src 'self'`
// refuses: style-singleton.js takes its place.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'graphiql');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'fonts'), { recursive: true });

await build({
  entryPoints: { graphiql: join(here, 'main.jsx') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  jsx: 'automatic',
  // See style-singleton.js: a stylesheet the policy allows, not a <style> element.
  alias: { 'react-style-singleton': join(here, 'style-singleton.js') },
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'linked',
  logLevel: 'warning',
});

const cssPath = join(out, 'graphiql.css');
let css = readFileSync(cssPath, 'utf8');
const fonts = new Set();
css = css.replace(
  /url\((["']?)data:font\/(woff2?|ttf|otf);base64,([A-Za-z0-9+/=]+)\1\)/g,
  (_, _quote, ext, data) => {
    const bytes = Buffer.from(data, 'base64');
    const name = `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${ext}`;
    writeFileSync(join(out, 'fonts', name), bytes);
    fonts.add(name);
    return `url(fonts/${name})`;
  },
);
writeFileSync(cssPath, css);

// Every url() left must be a file beside the stylesheet or an inline image
// (`img-src 'self' data:`): anything else would be refused by the policy or
// reach outside this server.
for (const [, raw] of css.matchAll(/url\(([^)]*)\)/g)) {
  const target = raw.replace(/^["']|["']$/g, '');
  const local = /^[\w./-]+$/.test(target) && !target.includes('//');
  if (!local && !target.startsWith('data:image/')) {
    throw new Error(`graphiql.css refers to ${target.slice(0, 80)}: not served by the api`);
  }
}

copyFileSync(join(here, 'index.html'), join(out, 'index.html'));

const js = readFileSync(join(out, 'graphiql.js'));
const kib = (n) => Math.round(n / 1024);
console.log(
  `graphiql: built ${out} (js ${kib(gzipSync(js).length)} KiB gzipped, css ${kib(statSync(cssPath).size)} KiB, ${fonts.size} fonts)`,
);

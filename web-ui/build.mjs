// Builds the dashboard: src/main.jsx (Preact, uPlot, CSS) bundled by esbuild into
// <outdir>/assets/app-<hash>.js and .css, and <outdir>/index.html naming them.
//
//   node build.mjs [--outdir DIR] [--modules DIR]
//
// --outdir defaults to ./dist; CMake passes a folder in the build tree. --modules is the
// node_modules folder that `npm ci` filled (default ./node_modules); CMake installs the packages
// in the build tree too, so a checkout stays free of generated files. The folder is emptied
// first, so it holds exactly one build. Prints each file's size and its gzip size.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = process.argv[at + 1];
  if (!value) throw new Error(`${name} needs a value`);
  return path.resolve(value);
}

const outdir = option('--outdir', path.join(here, 'dist'));
const modules = option('--modules', path.join(here, 'node_modules'));
// esbuild is CommonJS; load it from the chosen node_modules, wherever that is.
const esbuild = createRequire(path.join(modules, 'noop.js'))('esbuild');

fs.rmSync(outdir, { recursive: true, force: true });
fs.mkdirSync(path.join(outdir, 'assets'), { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: 'src/main.jsx' },
  nodePaths: [modules],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: path.join(outdir, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  loader: { '.svg': 'file' },
  legalComments: 'eof',
  banner: {
    js: '/*! outbox dashboard. Bundles Preact (MIT License, Copyright (c) 2015-present Jason Miller) and uPlot (MIT License, Copyright (c) 2022 Leon Sorokin). */',
  },
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => path.resolve(here, file));
const script = outputs.find((file) => file.endsWith('.js'));
const style = outputs.find((file) => file.endsWith('.css'));
if (!script || !style) throw new Error('esbuild wrote no .js or no .css');
const url = (file) => path.relative(outdir, file).split(path.sep).join('/');

// The icon, hashed like the rest (the browser asks for one; without it, /favicon.ico is a 404).
const iconBytes = fs.readFileSync(path.join(here, 'src', 'icon.svg'));
const iconHash = createHash('sha256').update(iconBytes).digest('hex').slice(0, 8).toUpperCase();
const icon = path.join(outdir, 'assets', `icon-${iconHash}.svg`);
fs.writeFileSync(icon, iconBytes);

// No inline script or style: the page is served with script-src 'self' and style-src 'self'.
const page = fs
  .readFileSync(path.join(here, 'src', 'index.html'), 'utf8')
  .replace('%ICON%', url(icon))
  .replace('%STYLE%', url(style))
  .replace('%SCRIPT%', url(script));
fs.writeFileSync(path.join(outdir, 'index.html'), page);

let total = 0;
let totalGzip = 0;
for (const file of [path.join(outdir, 'index.html'), script, style, icon]) {
  const bytes = fs.readFileSync(file);
  const gzip = zlib.gzipSync(bytes, { level: 9 }).length;
  total += bytes.length;
  totalGzip += gzip;
  console.log(`${url(file).padEnd(34)} ${String(bytes.length).padStart(7)} B  gzip ${gzip} B`);
}
console.log(`${'total'.padEnd(34)} ${String(total).padStart(7)} B  gzip ${totalGzip} B`);

#!/usr/bin/env node
// Validate speedscope JSON files against speedscope's own file-format-schema.json
// (loaded from the installed `speedscope` npm package), plus semantic checks the
// schema cannot express.
//
// usage: node tools/validate-speedscope.js [--modules DIR] FILE...
//   DIR defaults to build/npm/node_modules (installed by `make deps`).
// exit: 0 all valid, 1 some file invalid (incl. malformed JSON), 2 usage/IO error
// (an unreadable file, or ajv/speedscope not installed).
'use strict';

const fs = require('fs');
const path = require('path');

const USAGE = 'usage: node tools/validate-speedscope.js [--modules DIR] FILE...';
const SCHEMA_REL = 'speedscope/dist/release/file-format-schema.json';

function die(msg) {
  console.error(msg);
  process.exit(2);
}

function parseArgs(argv) {
  let modules = path.join(__dirname, '..', 'build', 'npm', 'node_modules');
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--modules') {
      if (i + 1 >= argv.length) die(USAGE);
      modules = path.resolve(argv[++i]);
    } else if (a.startsWith('--modules=')) {
      modules = path.resolve(a.slice('--modules='.length));
    } else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (a === '--') {
      files.push(...argv.slice(i + 1));
      break;
    } else if (a.startsWith('-')) {
      die(`unknown option ${a}\n${USAGE}`);
    } else {
      files.push(a);
    }
  }
  if (files.length === 0) die(USAGE);
  return { modules, files };
}

function loadValidators(modules) {
  const schemaPath = path.join(modules, SCHEMA_REL);
  let Ajv, schema;
  try {
    Ajv = require(path.join(modules, 'ajv'));
    schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
  } catch (e) {
    die(`validate-speedscope: ajv/speedscope not found under ${modules} (${e.code || e.message}); run \`make deps\``);
  }
  Ajv = Ajv.default || Ajv;
  // The schema is draft-07, Ajv 8's default draft; it compiles in strict mode.
  const ajv = new Ajv({ allErrors: true });
  ajv.addSchema(schema, 'speedscope');
  const def = (name) => ajv.getSchema(`speedscope#/definitions/FileFormat.${name}`);
  return {
    file: ajv.getSchema('speedscope'),
    // A profile is anyOf(evented, sampled); used to report only the branch
    // that the profile's own `type` names instead of both branches' errors.
    profile: new Map([['sampled', def('SampledProfile')], ['evented', def('EventedProfile')]]),
  };
}

function fmt(e, prefix) {
  let msg = `${prefix + e.instancePath || '/'}: ${e.message}`;
  if (e.keyword === 'const') msg += ` ${JSON.stringify(e.params.allowedValue)}`;
  if (e.keyword === 'enum') msg += ` ${JSON.stringify(e.params.allowedValues)}`;
  return msg;
}

function schemaErrors(v, doc) {
  if (v.file(doc)) return [];
  const msgs = new Set();
  for (const e of v.file.errors) {
    const m = /^\/profiles\/(\d+)(?:\/|$)/.exec(e.instancePath);
    const p = m && doc.profiles[m[1]];
    const branch = p && typeof p === 'object' && v.profile.get(p.type);
    if (!branch) {
      msgs.add(fmt(e, ''));
    } else if (!branch(p)) {
      for (const be of branch.errors) msgs.add(fmt(be, `/profiles/${m[1]}`));
    }
  }
  return [...msgs];
}

// Checks the schema cannot express. Only called on schema-valid documents.
function semanticErrors(doc) {
  const errs = [];
  const nframes = doc.shared.frames.length;
  const isIndex = (f) => Number.isInteger(f) && f >= 0 && f < nframes;
  doc.profiles.forEach((p, pi) => {
    const at = `/profiles/${pi}`;
    if (p.endValue < p.startValue) {
      errs.push(`${at}: endValue ${p.endValue} < startValue ${p.startValue}`);
    }
    if (p.type === 'evented') {
      p.events.forEach((ev, ei) => {
        if (!isIndex(ev.frame)) errs.push(`${at}/events/${ei}/frame: ${ev.frame} is not a frame index (< ${nframes})`);
      });
      return;
    }
    if (p.samples.length !== p.weights.length) {
      errs.push(`${at}: samples.length ${p.samples.length} != weights.length ${p.weights.length}`);
    }
    p.samples.forEach((stack, si) => {
      stack.forEach((f, fi) => {
        if (!isIndex(f)) errs.push(`${at}/samples/${si}/${fi}: ${f} is not a frame index (< ${nframes})`);
      });
    });
    const sum = p.weights.reduce((a, w) => a + w, 0);
    const span = p.endValue - p.startValue;
    if (Math.abs(sum - span) > 1e-6 * Math.max(Math.abs(sum), Math.abs(span))) {
      errs.push(`${at}: sum of weights ${sum} != endValue - startValue ${span}`);
    }
  });
  return errs;
}

function main() {
  const { modules, files } = parseArgs(process.argv.slice(2));
  const v = loadValidators(modules);
  let status = 0;
  for (const file of files) {
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      if (e instanceof SyntaxError) {
        console.log(`FAIL ${file}\n  invalid JSON: ${e.message}`);
        status = Math.max(status, 1);
      } else {
        console.error(`${file}: ${e.message}`);
        status = 2;
      }
      continue;
    }
    let errs = schemaErrors(v, doc);
    if (errs.length === 0) errs = semanticErrors(doc);
    if (errs.length === 0) {
      console.log(`ok ${file}`);
    } else {
      console.log(`FAIL ${file}\n` + errs.map((m) => `  ${m}`).join('\n'));
      status = Math.max(status, 1);
    }
  }
  process.exitCode = status;
}

main();

#!/usr/bin/env node
// Decode a gzipped pprof profile with a real pprof reader (the npm
// `pprof-format` package) and print what it holds as JSON, every id and
// string index resolved, for the integration tests to check:
//   {sampleTypes: [[type, unit]], periodType, period, timeNanos, durationNanos,
//    defaultSampleType, comments, samples: [{stack: [[name, file, line, column]]
//    (leaf first; column from 1, 0 when unknown), values, labels: {key: str or num}}]}
// Dangling ids, indexes past the string table and repeated ids are errors.
//
// usage: node tools/pprof-summary.js [--modules DIR] FILE
// exit: 0 decoded, 1 not a valid profile, 2 usage or I/O error
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

function die(msg, code) {
  console.error(`pprof-summary: ${msg}`);
  process.exit(code);
}

function parseArgs(argv) {
  let modules = path.join(__dirname, '..', 'build', 'npm', 'node_modules');
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--modules' && i + 1 < argv.length) modules = path.resolve(argv[++i]);
    else rest.push(argv[i]);
  }
  if (rest.length !== 1) die('usage: node tools/pprof-summary.js [--modules DIR] FILE', 2);
  return { modules, file: rest[0] };
}

// id -> entry, refusing id 0 and repeats.
function byId(entries, what) {
  const map = new Map();
  for (const e of entries) {
    const id = Number(e.id);
    if (!id || map.has(id)) throw new Error(`${what} id ${id} is 0 or repeated`);
    map.set(id, e);
  }
  return map;
}

function summarize(profile) {
  const strings = profile.stringTable.strings;
  const str = (i) => {
    const n = Number(i);
    if (!(n >= 0 && n < strings.length)) throw new Error(`string index ${n} past the table (${strings.length})`);
    return strings[n];
  };
  if (strings[0] !== '') throw new Error('the string table does not start with ""');
  const functions = byId(profile.function, 'function');
  const locations = byId(profile.location, 'location');
  const mappings = byId(profile.mapping, 'mapping');
  const frame = (id) => {
    const loc = locations.get(Number(id));
    if (!loc) throw new Error(`sample names location ${id}, which does not exist`);
    if (Number(loc.mappingId) && !mappings.has(Number(loc.mappingId))) throw new Error(`location ${id}: no mapping ${loc.mappingId}`);
    if (loc.line.length !== 1) throw new Error(`location ${id} has ${loc.line.length} lines, expected 1`);
    const fn = functions.get(Number(loc.line[0].functionId));
    if (!fn) throw new Error(`location ${id} names function ${loc.line[0].functionId}, which does not exist`);
    return [str(fn.name), str(fn.filename), Number(loc.line[0].line), Number(loc.line[0].column || 0)];
  };
  return {
    sampleTypes: profile.sampleType.map((t) => [str(t.type), str(t.unit)]),
    periodType: profile.periodType ? [str(profile.periodType.type), str(profile.periodType.unit)] : null,
    period: Number(profile.period),
    timeNanos: Number(profile.timeNanos),
    durationNanos: Number(profile.durationNanos),
    defaultSampleType: str(profile.defaultSampleType),
    comments: profile.comment.map(str),
    mappings: profile.mapping.map((m) => ({ file: str(m.filename), hasFunctions: m.hasFunctions })),
    samples: profile.sample.map((s) => {
      if (s.value.length !== profile.sampleType.length) throw new Error('a sample has the wrong number of values');
      const labels = {};
      for (const l of s.label) labels[str(l.key)] = Number(l.str) ? str(l.str) : Number(l.num);
      return { stack: s.locationId.map(frame), values: s.value.map(Number), labels };
    }),
  };
}

function main() {
  const { modules, file } = parseArgs(process.argv.slice(2));
  let Profile, data;
  try {
    ({ Profile } = require(path.join(modules, 'pprof-format')));
  } catch (e) {
    die(`pprof-format not found under ${modules} (${e.code || e.message}); run \`make deps\``, 2);
  }
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    die(`${file}: ${e.message}`, 2);
  }
  try {
    const summary = summarize(Profile.decode(zlib.gunzipSync(data)));
    process.stdout.write(JSON.stringify(summary) + '\n');
  } catch (e) {
    die(`${file} is not a valid pprof profile: ${e.message}`, 1);
  }
}

main();

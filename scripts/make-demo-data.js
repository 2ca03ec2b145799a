#!/usr/bin/env node
// Regenerates data/shift-grid (the main job's shipped data) from its seed: `npm run build` first.
'use strict';
const { join } = require('node:path');
const { sampleShiftGrid } = require('../dist/src/samplers/syntheticShiftGrid');
const { writeSplitFolder } = require('../dist/src/data/splitDirectory');
const out = process.argv[2] ?? join(__dirname, '..', 'data', 'shift-grid');
for (const split of sampleShiftGrid({ seed: 2025 })) writeSplitFolder(join(out, split.name), split);
console.log(`wrote ${out}`);

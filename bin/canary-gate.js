#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/bundle/cli.js from dist/ (npm run build;
// scripts/bundle.mjs says why).
import { main } from '../dist/bundle/cli.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;

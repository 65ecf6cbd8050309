#!/usr/bin/env node
// Starts canary-gate's proxy router (from dist/) in front of one backend for the benchmark:
// both arms point at the backend, weight 50, so every request takes the proxy's full path.
// Prints the proxy's URL on stdout and runs until killed.
import { ProxyRouter } from '../dist/canary/routers/proxy.js';

const backend = process.argv[2];
const proxy = new ProxyRouter({ listen: '127.0.0.1:0', baselineUrl: backend, canaryUrl: backend });
const url = await proxy.listen();
await proxy.setWeight({ weight: 50, step: 0, run: 'bench' });
console.log(url);
process.on('SIGTERM', () => proxy.close().then(() => process.exit(0)));

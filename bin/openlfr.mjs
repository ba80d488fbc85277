#!/usr/bin/env node
// Entry point for `npx openlfr`. The project runs its TypeScript sources through tsx (no build step),
// so what is tested is exactly what runs.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);

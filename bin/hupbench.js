#!/usr/bin/env node
// The `hupbench` command (harness/cli/main.ts), run through tsx: the project is TypeScript without a
// build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../harness/cli/main.ts');
process.exitCode = await main(process.argv);

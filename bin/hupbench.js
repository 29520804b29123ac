#!/usr/bin/env node
// The `hupbench` command (harness/cli/main.ts), run through tsx: the project is TypeScript without a
// build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../harness/cli/main.ts');
const code = await main(process.argv);
// Note: exit now: a session to a board that lost power can hold the event loop open for minutes.
process.exit(code);

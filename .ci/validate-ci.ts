// Validates the CI definitions hupbench ships for a nightly over N hosts, offline:
// - .github/workflows/*.yml against the GitHub Actions workflow schema (@action-validator/core, the
//   schemastore schema compiled to WebAssembly);
// - .gitlab-ci.yml: a structural check of the keywords it uses (GitLab's own linter needs a GitLab
//   instance): known job keywords, stages that exist, `parallel` and `resource_group` forms,
//   artifacts and JUnit reports, and scripts that call hupbench commands that exist.
// `npm run lint:ci`; exits 1 naming each problem.
import { validateWorkflow } from '@action-validator/core';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { program } from '../harness/cli/main.ts';

const root = path.resolve(import.meta.dirname, '..');
const problems: string[] = [];

const workflows = path.join(root, '.github/workflows');
for (const file of readdirSync(workflows).filter((f) => /\.ya?ml$/.test(f))) {
  const state = validateWorkflow(readFileSync(path.join(workflows, file), 'utf8'));
  for (const e of state.errors)
    problems.push(
      `.github/workflows/${file}: ${e.title}${'path' in e ? ` at ${e.path}` : ''}${e.detail ? `: ${e.detail}` : ''}`,
    );
}

const script = z.array(z.union([z.string(), z.array(z.string())])).min(1);
const job = z
  .object({
    stage: z.string(),
    tags: z.array(z.string()).optional(),
    timeout: z
      .string()
      .regex(/^\d+\s*[hm]/)
      .optional(),
    rules: z
      .array(
        z
          .object({
            if: z.string().optional(),
            when: z.enum(['on_success', 'on_failure', 'always', 'never', 'manual', 'delayed']).optional(),
          })
          .strict(),
      )
      .optional(),
    parallel: z
      .union([
        z.number().int().min(1).max(200),
        z.object({ matrix: z.array(z.record(z.string(), z.union([z.string(), z.array(z.string())]))).min(1) }).strict(),
      ])
      .optional(),
    resource_group: z.string().optional(),
    variables: z.record(z.string(), z.string()).optional(),
    needs: z.array(z.string()).optional(),
    script,
    artifacts: z
      .object({
        when: z.enum(['on_success', 'on_failure', 'always']).optional(),
        expire_in: z.string().optional(),
        paths: z.array(z.string()).min(1),
        reports: z
          .object({ junit: z.union([z.string(), z.array(z.string())]) })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
const pipeline = z
  .object({ variables: z.record(z.string(), z.string()), stages: z.array(z.string()).min(1) })
  .passthrough();

const gitlab = parse(readFileSync(path.join(root, '.gitlab-ci.yml'), 'utf8'), { merge: true }) as Record<
  string,
  unknown
>;
const top = pipeline.safeParse(gitlab);
if (!top.success)
  problems.push(`.gitlab-ci.yml: ${top.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
const stages = top.success ? top.data.stages : [];
const jobs = Object.entries(gitlab).filter(
  ([name]) => !['variables', 'stages', 'default', 'workflow', 'include'].includes(name) && !name.startsWith('.'),
);
const commands = program().commands.map((c) => c.name());
for (const [name, body] of jobs) {
  const parsed = job.safeParse(body);
  if (!parsed.success) {
    problems.push(
      `.gitlab-ci.yml job ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
    continue;
  }
  if (!stages.includes(parsed.data.stage))
    problems.push(`.gitlab-ci.yml job ${name}: stage ${parsed.data.stage} is not in stages (${stages.join(', ')})`);
  for (const n of parsed.data.needs ?? [])
    if (!jobs.some(([j]) => j === n)) problems.push(`.gitlab-ci.yml job ${name}: needs ${n}, which is no job`);
  for (const line of parsed.data.script.flat()) {
    const cmd = line.match(/npx hupbench (\S+)/)?.[1];
    if (cmd && !commands.includes(cmd)) problems.push(`.gitlab-ci.yml job ${name}: hupbench has no command ${cmd}`);
  }
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  `CI definitions valid: ${readdirSync(workflows).length} GitHub workflow(s) against the workflow schema, .gitlab-ci.yml (${jobs.length} jobs) against its keywords`,
);

// The docker commands the reference updaters run (images/updater/*.sh), in their order and forms,
// against the device's engine: exit code and output of each, so the two engines' answers can be
// compared line by line (bench/engine-real.ts prints them).
import type { Device } from '../harness/device/device.ts';

export interface CliAnswer {
  command: string;
  exitCode: number;
  output: string;
}

/**
 * `qualified` is the hostOS reference as upgrade-2.x.sh pulls it (registry host first), `local` the
 * name it then creates its container from; `supervisor` the supervisor's container name.
 */
export function updaterCommands(qualified: string, local: string, supervisor: string): string[] {
  return [
    'docker ps -q',
    `docker ps --format '{{.Names}}' | grep -qx ${supervisor}`,
    'docker ps -aq',
    'docker images',
    'docker images -q | sort -u',
    `docker pull ${qualified} >/dev/null`,
    `docker images -q ${qualified}`,
    `docker images -q ${local}`,
    `docker rm -f hostos-cli >/dev/null 2>&1; docker create --name hostos-cli ${local}`,
    'docker export hostos-cli | tar -t | head -n 3',
    `docker inspect -f '{{index .Config.Labels "io.resin.os.version"}}' ${qualified}`,
    'docker rm -f hostos-cli',
    `docker stop ${supervisor}`,
    'docker ps -q',
    `docker start ${supervisor}`,
    'docker rm -f no-such-container',
    'docker rmi -f no-such-image:latest',
    `docker rmi -f ${qualified}`,
  ];
}

export async function askEngine(device: Device, commands: string[]): Promise<CliAnswer[]> {
  const answers: CliAnswer[] = [];
  for (const command of commands) {
    const out = await device.exec(`${command} 2>&1`, { timeoutMs: 600_000 });
    answers.push({
      command,
      exitCode: out.exitCode ?? -1,
      output: out.stdout.trim().split('\n').slice(0, 6).join('\n'),
    });
  }
  return answers;
}

export function formatAnswers(answers: CliAnswer[]): string {
  return answers
    .map((a) => `$ ${a.command}   → exit ${a.exitCode}${a.output ? `\n${a.output.replace(/^/gm, '    ')}` : ''}`)
    .join('\n');
}

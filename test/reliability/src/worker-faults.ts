// Faults inside one server process: a session that throws (poison input) and a session worker thread that exits
// with a request in flight (test-only preload). The request fails cleanly, the worker is replaced, the next succeed.
import { mkdirSync } from 'node:fs';
import type { CheckList } from './check.js';
import { call, closeTarget, type Target } from './http-call.js';
import { ORANGE, sampleImage } from './paths.js';
import { createPoisonService, whitePng } from './poison-model.js';
import { servesGoodRequest } from './run-corpus.js';
import { ServeProcess } from './server-process.js';

const spawnsIn = (lines: readonly string[]) =>
  lines.filter((l) => l.includes('"reliabilityPreload"') && l.includes('"spawn"')).length;

export async function runWorkerFaults(workDir: string, checks: CheckList): Promise<void> {
  mkdirSync(workDir, { recursive: true });
  const poisonZip = await createPoisonService(workDir);
  const server = await ServeProcess.start({
    cwd: workDir,
    faultPreload: true,
    args: ['--model', 'mnv2=mobilenetv2-int8', '--model', `poison=${poisonZip}`, '--workers', '1'],
  });
  const key = server.ready.keys!.primary;
  const target: Target = { origin: server.ready.http };
  const post = (model: string, body: Buffer, type = 'image/jpeg') =>
    call(target, `/v1/services/${model}/classify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': type },
      body,
    });
  try {
    await checks.guard(
      'session-throws',
      'a session that throws (poison input)',
      '500 TCH_ERR_SESSION_RUN_FAILED, then both models serve',
      async () => {
        const poisoned = await post('poison', await whitePng(), 'image/png');
        const after = await post('poison', sampleImage(ORANGE.file));
        const other = await servesGoodRequest(target, 'mnv2', key);
        checks.check(
          'session-throws',
          'a session that throws (poison input)',
          '500 TCH_ERR_SESSION_RUN_FAILED, then both models serve',
          `${poisoned.status} ${poisoned.code}; next request on the same model ${after.status}; other model ${other ? 'serves' : 'fails'}; process ${server.alive ? 'alive' : 'exited'}`,
          poisoned.status === 500 &&
            poisoned.code === 'TCH_ERR_SESSION_RUN_FAILED' &&
            after.status === 200 &&
            other &&
            server.alive,
        );
      },
    );
    await checks.guard(
      'worker-exit',
      'the session worker thread exits with a request in flight',
      '500 TCH_ERR_WORKER_CRASHED, worker replaced, next requests succeed',
      async () => {
        const spawnsBefore = spawnsIn(server.stderrLines);
        const from = server.stderrLines.length;
        server.child.kill('SIGUSR2');
        await server.waitForLog(/"armed"/, from);
        const crashed = await post('mnv2', sampleImage(ORANGE.file)).catch(async (error: Error) => {
          await Promise.race([server.exited, new Promise((r) => setTimeout(r, 2000))]);
          const exit = server.exitInfo;
          throw new Error(
            `${error.message}; server ${exit === undefined ? 'alive' : `exited (code ${exit.code}, signal ${exit.signal})`}; log: ${server.stderrLines.slice(-3).join(' | ')}`,
          );
        });
        await server.waitForLog(/"crash"/, from);
        const next: boolean[] = [];
        for (let i = 0; i < 5; i++) next.push(await servesGoodRequest(target, 'mnv2', key));
        const poisonModel = await post('poison', sampleImage(ORANGE.file));
        const spawned = spawnsIn(server.stderrLines) - spawnsBefore;
        checks.check(
          'worker-exit',
          'the session worker thread exits with a request in flight',
          '500 TCH_ERR_WORKER_CRASHED, worker replaced, next requests succeed',
          `${crashed.status} ${crashed.code}; workers spawned after: ${spawned}; next 5 requests: ${next.filter(Boolean).length}/5 ok; other model ${poisonModel.status}; process ${server.alive ? 'alive' : 'exited'}`,
          crashed.status === 500 &&
            crashed.code === 'TCH_ERR_WORKER_CRASHED' &&
            spawned === 1 &&
            next.every(Boolean) &&
            poisonModel.status === 200 &&
            server.alive,
        );
      },
    );
  } finally {
    await server.stop();
    await closeTarget(target);
  }
}

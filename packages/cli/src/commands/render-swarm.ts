import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { GlobalOptions } from '../main.js';
import { printError, printJson } from '../output.js';
import { int, readKeys, registryUrl, specFromFlags, type K8sRenderCliOptions } from './k8s.js';

/**
 * `tachyon render --target swarm SERVICE --model NAME:VERSION`: a Docker Swarm stack, its serve config, the secret
 * files when --keys is given (else external secrets) and, with `--network host`, the HAProxy config in front.
 * `--out DIR` writes them (mode 0600); otherwise the stack on stdout (`--json`: {stack, files}).
 */
export async function runSwarmRender(
  service: string,
  options: K8sRenderCliOptions & { network?: string; basePort?: string },
  globals: GlobalOptions,
): Promise<void> {
  const core = await import('@tachyon-serve/core');
  if (options.registrySecret !== undefined)
    throw new TypeError(
      '--registry-secret is for Kubernetes; a Swarm stack takes --registry-url (or the workspace registry) into its secret file.',
    );
  const spec = await specFromFlags(service, options);
  const workspace = core.loadWorkspaceConfig(globals.workspace ?? core.findWorkspaceConfig());
  const keys = options.keys === undefined ? undefined : await readKeys(options.keys);
  const url = keys === undefined ? undefined : (registryUrl(options, workspace.registry) as string);
  const rendered = core.renderSwarm(spec, {
    network: options.network === 'host' ? 'host' : 'overlay',
    ...(options.basePort === undefined ? {} : { basePort: int('--base-port', options.basePort)! }),
    ...(keys === undefined || url === undefined ? {} : { secrets: { registryUrl: url, keys } }),
    workspaceName: workspace.name,
  });
  if (keys === undefined)
    printError(
      `note: the stack references external secrets "${service}-workspace" and "${service}-keys": create them (docker secret create), or pass --keys FILE`,
    );
  if (options.out !== undefined) {
    const files = { 'stack.yaml': rendered.stack, ...rendered.files };
    const written: string[] = [];
    for (const [name, content] of Object.entries(files)) {
      const file = join(options.out, name);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content, { mode: 0o600 });
      written.push(file);
    }
    if (options.json) printJson({ files: written });
    else for (const file of written) printError(`wrote ${file}`);
    return;
  }
  if (options.json) printJson({ stack: rendered.stack, files: rendered.files });
  else process.stdout.write(rendered.stack);
}

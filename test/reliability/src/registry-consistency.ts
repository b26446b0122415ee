// Whether a workspace registry is consistent after a crash: opened the normal way (which runs the registry's own
// recovery), then no journal rows, no staging files, no blob without a version, no version without its blob.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { locateWorkspaceConfig, openRegistry, type RecoveryReport } from '@tachyon-serve/core';

export interface RegistryState {
  consistent: boolean;
  /** What is wrong, empty when consistent. */
  problems: string[];
  versions: number;
  blobs: number;
  /** What recovery undid when the registry opened. */
  recovered: RecoveryReport;
  deployments: string[];
}

const sha256Of = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', reject)
      .on('data', (c) => hash.update(c))
      .on('end', () => resolve(hash.digest('hex')));
  });

export async function checkRegistry(workspaceRoot: string): Promise<RegistryState> {
  const config = locateWorkspaceConfig(workspaceRoot);
  const registry = await openRegistry(config, { recover: false });
  try {
    const recovered = await registry.recover();
    const problems: string[] = [];
    const pending = await registry.store.pendingBlobs();
    if (pending.length > 0) problems.push(`${pending.length} journal rows left`);
    const staging = await registry.blobs.listStaging();
    if (staging.length > 0) problems.push(`${staging.length} staging files left`);
    const versions = await registry.store.listVersions();
    const referenced = await registry.store.referencedBlobs();
    const blobs = await registry.blobs.list();
    for (const blob of blobs)
      if (!referenced.has(blob.sha256)) problems.push(`orphan blob ${blob.sha256.slice(0, 12)}`);
    for (const v of versions) {
      const path = registry.blobs.localPath(v.sha256);
      const size = await stat(path).then(
        (s) => s.size,
        () => -1,
      );
      if (size !== v.size)
        problems.push(`${v.name}:${v.version} blob ${size < 0 ? 'missing' : `has ${size} bytes, not ${v.size}`}`);
      else if ((await sha256Of(path)) !== v.sha256)
        problems.push(`${v.name}:${v.version} blob bytes do not match its sha256`);
    }
    const deployments = await registry.store.listDeployments();
    // A deployment row and its hold on the model version are written in one transaction: never one without the other.
    const refs = (
      await Promise.all([...new Set(versions.map((v) => v.name))].map((name) => registry.store.deploymentRefs(name)))
    ).flat();
    for (const d of deployments)
      if (!refs.some((r) => r.deployment === d.name)) problems.push(`deployment ${d.name} holds no ref on its model`);
    for (const r of refs)
      if (!deployments.some((d) => d.name === r.deployment))
        problems.push(`ref of a deployment ${r.deployment} that has no row`);
    return {
      consistent: problems.length === 0,
      problems,
      versions: versions.length,
      blobs: blobs.length,
      recovered,
      deployments: deployments.map((d) => d.name),
    };
  } finally {
    await registry.close();
  }
}

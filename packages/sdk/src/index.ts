/**
 * tachyon — the workflow SDK, mirroring the original's Workspace / Model API on top of @tachyon/core.
 *
 * ```ts
 * import { Model, Workspace } from 'tachyon';
 * const ws = await Workspace.fromConfig();                // tachyon.json from the working directory upward
 * const model = await Model.register(ws, 'model_def.zip', 'flowers', { description: 'ResNet-50 + my head', tags: { stage: 'dev' } });
 * console.log(model.id, model.sha256);                    // flowers:1 ...
 * const latest = await Model.get(ws, 'flowers');          // or Model.get(ws, 'flowers', 1)
 * await latest.download('./flowers.zip');
 * await latest.delete();                                  // refused while deployed unless { force: true }
 * await ws.close();
 * ```
 */
export { Workspace } from './workspace.js';
export { Model } from './model.js';
export type {
  ArtifactKind,
  CreateWorkspaceOptions,
  DeleteOptions,
  ModelVersionRecord,
  OpenRegistryOptions,
  RegisterOptions,
  WorkspaceConfig,
} from '@tachyon/core';

export * from './k8s-names.js';
export * from './workspace-init.js';
export * from './pod-template.js';
export * from './kserve-manifest.js';
export * from './plain-manifests.js';
export * from './secret-manifests.js';
export * from './render-kubernetes.js';

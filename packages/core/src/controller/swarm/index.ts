export * from './render-haproxy.js';
export * from './render-swarm.js';

// The named scenarios of `npm run bench -- --scenario NAME`: which models, which concurrency levels, how many
// requests. Quick ones fit in about 5 minutes together on the 2-core VM; full ones take longer.

export const SUITE_MODEL_IDS = [
  'mobilenetv2-int8',
  'resnet50-fp32',
  'resnet50-int8',
  'resnet152-fp32',
  'densenet121-fp32',
  'vgg16-fp32',
] as const;
export type SuiteModelId = (typeof SUITE_MODEL_IDS)[number];

export interface PeerScenario {
  name: string;
  tier: 'quick' | 'full';
  description: string;
  models: readonly SuiteModelId[];
  /** Closed-loop clients; every peer is measured at each level. */
  levels: readonly number[];
  /** Timed requests per peer, model and level: `base` at concurrency 1, `perClient` x clients above it. */
  requests: { base: number; perClient: number };
  /** The requests of each (peer, level) are split into this many rounds, peers taking turns round by round. */
  rounds: number;
}

/** Fewer requests for the big models, so that a scenario's time stays bounded: by model, a factor on `requests`. */
export const MODEL_WEIGHT: Readonly<Record<SuiteModelId, number>> = Object.freeze({
  'mobilenetv2-int8': 1,
  'resnet50-int8': 0.5,
  'resnet50-fp32': 0.3,
  'densenet121-fp32': 0.3,
  'resnet152-fp32': 0.15,
  'vgg16-fp32': 0.1,
});

const quick = { levels: [1, 16], requests: { base: 80, perClient: 8 }, rounds: 4 } as const;
const full = { levels: [1, 4, 16], requests: { base: 400, perClient: 40 }, rounds: 8 } as const;

export const PEER_SCENARIOS: readonly PeerScenario[] = Object.freeze([
  {
    name: 'quick',
    tier: 'quick',
    description: 'quick-mobilenetv2 and quick-resnet50 in one run (the one README shows)',
    models: ['mobilenetv2-int8', 'resnet50-int8', 'resnet50-fp32'],
    ...quick,
  },
  {
    name: 'quick-mobilenetv2',
    tier: 'quick',
    description: 'real MobileNetV2 int8 against every peer',
    models: ['mobilenetv2-int8'],
    ...quick,
  },
  {
    name: 'quick-resnet50',
    tier: 'quick',
    description: 'ResNet-50 int8 and fp32 (random weights) against every peer',
    models: ['resnet50-int8', 'resnet50-fp32'],
    ...quick,
  },
  {
    name: 'full',
    tier: 'full',
    description: 'all six models, concurrency 1, 4 and 16, 5x the requests of quick',
    models: [...SUITE_MODEL_IDS],
    ...full,
  },
  ...SUITE_MODEL_IDS.map(
    (id): PeerScenario => ({
      name: `full-${id}`,
      tier: 'full',
      description: `${id} alone, as in full`,
      models: [id],
      ...full,
    }),
  ),
]);

export function scenarioByName(name: string): PeerScenario {
  const s = PEER_SCENARIOS.find((p) => p.name === name);
  if (s === undefined)
    throw new RangeError(
      `--scenario: unknown scenario '${name}' (known: ${PEER_SCENARIOS.map((p) => p.name).join(', ')})`,
    );
  return s;
}

/** Timed requests of one peer at one level for one model. */
export function requestsFor(
  scenario: PeerScenario,
  model: SuiteModelId,
  concurrency: number,
  override?: number,
): number {
  if (override !== undefined) return Math.max(concurrency, override);
  const n = concurrency === 1 ? scenario.requests.base : scenario.requests.perClient * concurrency;
  return Math.max(concurrency * 2, Math.round(n * MODEL_WEIGHT[model]));
}

// `npm run bench [-- options]`: with --scenario NAME (or --list) the peer benchmark (peers/run-peers.ts); without, the
// foundation benchmark of run.ts, unchanged.
import { runPeers } from './peers/run-peers.js';

const argv = process.argv.slice(2);
if (argv.some((a) => a === '--scenario' || a.startsWith('--scenario=') || a === '--list')) {
  runPeers(argv).catch((error: unknown) => {
    const usage =
      error instanceof RangeError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(
      `[bench:peers] ${usage ? '' : 'failed: '}${error instanceof Error ? (usage ? error.message : (error.stack ?? error.message)) : String(error)}\n`,
    );
    process.exitCode = usage ? 2 : 1;
  });
} else {
  await import('./run.js');
}
